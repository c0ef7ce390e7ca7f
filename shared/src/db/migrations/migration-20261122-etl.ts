import { Migration } from '@mikro-orm/migrations';

/** ETL jobs, their runs and the rows runs rejected. */
export class Migration20261122Etl extends Migration {
  override up(): void {
    this.addSql(`create table "etl_jobs" ("id" uuid not null, "tenant_id" uuid not null, "project_id" uuid not null, "connection_id" uuid not null,
      "name" varchar(200) not null, "source" jsonb not null, "columns" jsonb not null, "load_type" text not null,
      "timestamp_column" varchar(300) null, "primary_key" jsonb null, "backfill" jsonb null, "destination_table" varchar(300) not null,
      "max_bad_rows" int not null default 0, "lookback_seconds" int not null default 3600, "keep_snapshots" boolean not null default false,
      "watermark" jsonb null, "enabled" boolean not null default true, "created_at" timestamptz not null, "updated_at" timestamptz not null,
      primary key ("id"))`);
    this.addSql(`alter table "etl_jobs" add constraint "etl_jobs_project_id_name_unique" unique ("project_id", "name")`);
    this.addSql(`create table "etl_runs" ("id" uuid not null, "tenant_id" uuid not null, "job_id" uuid not null,
      "status" text not null default 'queued', "trigger" text not null default 'manual', "progress" jsonb null,
      "rows_extracted" int not null default 0, "rows_loaded" int not null default 0, "rows_rejected" int not null default 0,
      "files_processed" int not null default 0, "bytes" double precision not null default 0, "timings" jsonb not null default '{}',
      "watermark_before" jsonb null, "watermark_after" jsonb null, "window_from" varchar(100) null, "staged_parts" jsonb null,
      "error" jsonb null, "cancel_requested" boolean not null default false, "created_at" timestamptz not null,
      "finished_at" timestamptz null, "updated_at" timestamptz not null, primary key ("id"))`);
    this.addSql(`create index "etl_runs_job_id_created_at_index" on "etl_runs" ("job_id", "created_at")`);
    this.addSql(`create table "etl_rejected_rows" ("id" bigserial primary key, "run_id" uuid not null, "file" varchar(1000) null,
      "line" int null, "column" varchar(300) null, "value" varchar(200) null, "reason" text not null)`);
    this.addSql(`alter table "etl_jobs" add constraint "etl_jobs_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on delete cascade`);
    this.addSql(`alter table "etl_jobs" add constraint "etl_jobs_project_id_foreign" foreign key ("project_id") references "projects" ("id") on delete cascade`);
    this.addSql(`alter table "etl_jobs" add constraint "etl_jobs_connection_id_foreign" foreign key ("connection_id") references "connections" ("id") on delete restrict`);
    this.addSql(`alter table "etl_jobs" add constraint "etl_jobs_load_type_check" check ("load_type" in ('transactional', 'catalog'))`);
    this.addSql(`alter table "etl_runs" add constraint "etl_runs_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on delete cascade`);
    this.addSql(`alter table "etl_runs" add constraint "etl_runs_job_id_foreign" foreign key ("job_id") references "etl_jobs" ("id") on delete cascade`);
    this.addSql(`alter table "etl_runs" add constraint "etl_runs_status_check" check ("status" in ('queued', 'extracting', 'loading', 'succeeded', 'failed', 'cancelled'))`);
    this.addSql(`alter table "etl_runs" add constraint "etl_runs_trigger_check" check ("trigger" in ('manual', 'schedule', 'webhook', 'retry'))`);
    this.addSql(`alter table "etl_rejected_rows" add constraint "etl_rejected_rows_run_id_foreign" foreign key ("run_id") references "etl_runs" ("id") on delete cascade`);
  }

  override down(): void {
    for (const table of ['etl_rejected_rows', 'etl_runs', 'etl_jobs']) this.addSql(`drop table if exists "${table}" cascade`);
  }
}
