export * from './tenant.js';
export * from './user.js';
export * from './membership.js';
export * from './api-token.js';
export * from './project.js';
export * from './connection.js';
export * from './etl-job.js';
export * from './etl-run.js';
export * from './etl-rejected-row.js';
export * from './etl-loaded-file.js';

import { Tenant } from './tenant.js';
import { User } from './user.js';
import { Membership } from './membership.js';
import { ApiToken } from './api-token.js';
import { Project } from './project.js';
import { Connection } from './connection.js';
import { EtlJob } from './etl-job.js';
import { EtlRun } from './etl-run.js';
import { EtlRejectedRow } from './etl-rejected-row.js';
import { EtlLoadedFile } from './etl-loaded-file.js';

/** Every entity the ORM knows. */
export const ENTITIES = [Tenant, User, Membership, ApiToken, Project, Connection, EtlJob, EtlRun, EtlRejectedRow, EtlLoadedFile];
