import { Migration } from '@mikro-orm/migrations';

/** The file versions transactional file jobs have loaded, and the files each run read. */
export class Migration20261122LoadedFiles extends Migration {
  override up(): void {
    this.addSql(`create table "etl_loaded_files" ("id" bigserial primary key, "job_id" uuid not null, "path" varchar(1024) not null,
      "size" double precision not null, "etag" varchar(200) null, "modified" varchar(40) null, "run_id" uuid not null, "loaded_at" timestamptz not null)`);
    this.addSql(`alter table "etl_loaded_files" add constraint "etl_loaded_files_job_id_path_unique" unique ("job_id", "path")`);
    this.addSql(`alter table "etl_runs" add "files" jsonb null`);
    this.addSql(`alter table "etl_loaded_files" add constraint "etl_loaded_files_job_id_foreign" foreign key ("job_id") references "etl_jobs" ("id") on delete cascade`);
  }

  override down(): void {
    this.addSql('drop table if exists "etl_loaded_files" cascade');
    this.addSql('alter table "etl_runs" drop column if exists "files"');
  }
}
