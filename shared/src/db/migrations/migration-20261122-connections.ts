import { Migration } from '@mikro-orm/migrations';

/** Connections: settings in a JSON column, credentials only as a reference into the secret store. */
export class Migration20261122Connections extends Migration {
  override up(): void {
    this.addSql(`create table "connections" (
      "id" uuid not null, "tenant_id" uuid not null, "project_id" uuid not null,
      "name" varchar(200) not null, "type" text not null, "config" jsonb not null,
      "secret_ref" varchar(500) null, "status" text not null default 'untested', "previous_status" text null,
      "last_tested_at" timestamptz null, "last_error" jsonb null, "last_latency_ms" int null,
      "last_used_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null,
      primary key ("id"))`);
    this.addSql(`alter table "connections" add constraint "connections_project_id_name_unique" unique ("project_id", "name")`);
    this.addSql(`alter table "connections" add constraint "connections_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on delete cascade`);
    this.addSql(`alter table "connections" add constraint "connections_project_id_foreign" foreign key ("project_id") references "projects" ("id") on delete cascade`);
    this.addSql(`alter table "connections" add constraint "connections_type_check" check ("type" in ('postgresql', 'mysql', 'bigquery', 'firestore', 'gcs', 's3', 'azure_blob', 'local_files'))`);
    this.addSql(`alter table "connections" add constraint "connections_status_check" check ("status" in ('untested', 'ok', 'failed', 'error'))`);
    this.addSql(`alter table "connections" add constraint "connections_previous_status_check" check ("previous_status" in ('untested', 'ok', 'failed', 'error'))`);
  }

  override down(): void {
    this.addSql('drop table if exists "connections" cascade');
  }
}
