import { Migration } from '@mikro-orm/migrations';

/** Tenants, users, memberships, API tokens and projects. */
export class Migration20261122Foundation extends Migration {
  override up(): void {
    this.addSql(`create table "tenants" (
      "id" uuid not null primary key,
      "name" varchar(200) not null,
      "created_at" timestamptz not null)`);
    this.addSql(`create table "users" (
      "id" uuid not null primary key,
      "email" varchar(320) not null,
      "name" varchar(200) not null,
      "password_hash" varchar(300) not null,
      "created_at" timestamptz not null,
      "last_login_at" timestamptz null)`);
    this.addSql(`alter table "users" add constraint "users_email_unique" unique ("email")`);
    this.addSql(`create table "memberships" (
      "id" uuid not null primary key,
      "tenant_id" uuid not null,
      "user_id" uuid not null,
      "role" text check ("role" in ('admin', 'editor', 'viewer')) not null,
      "created_at" timestamptz not null)`);
    this.addSql(`alter table "memberships" add constraint "memberships_tenant_id_user_id_unique" unique ("tenant_id", "user_id")`);
    this.addSql(`create table "api_tokens" (
      "id" uuid not null primary key,
      "tenant_id" uuid not null,
      "user_id" uuid not null,
      "name" varchar(200) not null,
      "token_hash" varchar(64) not null,
      "prefix" varchar(16) not null,
      "created_at" timestamptz not null,
      "last_used_at" timestamptz null,
      "expires_at" timestamptz null)`);
    this.addSql(`alter table "api_tokens" add constraint "api_tokens_token_hash_unique" unique ("token_hash")`);
    this.addSql(`create table "projects" (
      "id" uuid not null primary key,
      "tenant_id" uuid not null,
      "name" varchar(200) not null,
      "description" text not null default '',
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null)`);
    this.addSql(`alter table "projects" add constraint "projects_tenant_id_name_unique" unique ("tenant_id", "name")`);
    this.addSql(`alter table "memberships" add constraint "memberships_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on delete cascade`);
    this.addSql(`alter table "memberships" add constraint "memberships_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade`);
    this.addSql(`alter table "api_tokens" add constraint "api_tokens_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on delete cascade`);
    this.addSql(`alter table "api_tokens" add constraint "api_tokens_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade`);
    this.addSql(`alter table "projects" add constraint "projects_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on delete cascade`);
  }

  override down(): void {
    for (const table of ['projects', 'api_tokens', 'memberships', 'users', 'tenants']) {
      this.addSql(`drop table if exists "${table}" cascade`);
    }
  }
}
