import { z } from 'zod';
import { projectInput, projectPatch } from '@b2b-recs/shared';

const error = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
    },
  },
};

const project = {
  type: 'object',
  required: ['id', 'name', 'description', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    name: { type: 'string' },
    description: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
};

const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [String(c), { description: DESCRIPTIONS[c], content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }]));
const DESCRIPTIONS: Record<number, string> = {
  400: 'The request is malformed; `details` names the fields',
  401: 'No valid session or bearer token',
  403: 'The caller lacks the role',
  404: 'No such resource in the caller\'s tenant',
  409: 'A name is already taken',
};
const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };

const pathParam = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string' } });
const query = (name: string, description: string) => ({ name, in: 'query', required: false, schema: { type: 'string' }, description });
const testResult = {
  type: 'object',
  required: ['ok', 'latencyMs'],
  properties: {
    ok: { type: 'boolean' },
    latencyMs: { type: 'integer' },
    error: {
      type: 'object',
      properties: {
        code: { enum: ['auth_failed', 'unreachable', 'timeout', 'not_found', 'permission_denied', 'tls_error', 'invalid_config', 'secret_store_unavailable'] },
        message: { type: 'string' },
        hint: { type: 'string' },
      },
    },
  },
};
const connectionBody = {
  type: 'object',
  required: ['name', 'type'],
  properties: {
    name: { type: 'string' },
    type: { enum: ['postgresql', 'mysql', 'bigquery', 'firestore', 'gcs', 's3', 'azure_blob', 'local_files'] },
    config: { type: 'object', description: 'Non-secret settings of the kind (host, port, database, bucket, prefix, ...)' },
    credentials: { type: 'object', description: 'Secret settings; stored only in the secret store and never returned' },
  },
};
const connection = { type: 'object', description: 'A connection: its settings, status and last test; never its credentials' };

/** Connections: test before save, CRUD, discovery and preview. */
const CONNECTION_PATHS = {
  '/projects/{pid}/connections/test': {
    parameters: [pathParam('pid')],
    post: { summary: 'Try settings without saving (editor)', requestBody: { required: true, ...json(connectionBody) }, responses: { 200: json(testResult), ...errors(400, 401, 403) } },
  },
  '/projects/{pid}/connections': {
    parameters: [pathParam('pid')],
    get: { summary: "The project's connections", responses: { 200: json({ type: 'object', properties: { connections: { type: 'array', items: connection } } }), ...errors(401, 404) } },
    post: {
      summary: 'Test, then save a connection (editor); 422 with the test result when the test fails',
      requestBody: { required: true, ...json(connectionBody) },
      responses: { 201: json(connection), ...errors(400, 401, 403, 404, 409, 422) },
    },
  },
  '/connections/{id}': {
    parameters: [pathParam('id')],
    get: { summary: 'One connection', responses: { 200: json(connection), ...errors(401, 404) } },
    patch: {
      summary: 'Change settings (keeps the stored credentials unless new ones are given); re-tested before saving; answers the ETL jobs that use it',
      requestBody: { required: true, ...json({ type: 'object', properties: { name: { type: 'string' }, config: { type: 'object' }, credentials: { type: 'object' } } }) },
      responses: { 200: json(connection), ...errors(400, 401, 403, 404, 409, 422) },
    },
    delete: { summary: 'Delete a connection and its secret; 409 while ETL jobs use it', responses: { 204: { description: 'Deleted' }, ...errors(401, 403, 404, 409) } },
  },
  '/connections/{id}/test': {
    parameters: [pathParam('id')],
    post: { summary: 'Re-test a saved connection and record its status', responses: { 200: json(testResult), ...errors(401, 404) } },
  },
  '/connections/{id}/schemas': {
    parameters: [pathParam('id')],
    get: { summary: 'Schemas (databases, datasets)', responses: { 200: json({ type: 'object' }), ...errors(401, 404) } },
  },
  '/connections/{id}/schemas/{schema}/tables': {
    parameters: [pathParam('id'), pathParam('schema')],
    get: { summary: 'Tables and views (or collections) with approximate row counts, sizes and last changes', responses: { 200: json({ type: 'object' }), ...errors(401, 404) } },
  },
  '/connections/{id}/files': {
    parameters: [pathParam('id'), query('prefix', 'folder or key prefix'), query('pattern', 'glob, e.g. **/*.csv')],
    get: { summary: 'Files of a file store with size, modification time and detected format', responses: { 200: json({ type: 'object' }), ...errors(400, 401, 404) } },
  },
  '/connections/{id}/preview': {
    parameters: [pathParam('id'), query('schema', ''), query('table', ''), query('path', ''), query('pattern', ''), query('format', 'csv, parquet, json, jsonl'), query('collection', ''), query('limit', 'rows, default 20')],
    get: { summary: 'Columns with source and suggested warehouse types, confidence and samples; and the first rows', responses: { 200: json({ type: 'object' }), ...errors(400, 401, 404) } },
  },
};

const etlJob = { type: 'object', description: 'An ETL job: source, column mapping, load type, watermark' };
const etlRun = { type: 'object', description: 'A run: status, stage progress, counts, timings, watermark before and after, error with hint' };

/** ETL jobs and runs. */
const ETL_PATHS = {
  '/projects/{pid}/etl-jobs': {
    parameters: [pathParam('pid')],
    get: { summary: "The project's ETL jobs", responses: { 200: json({ type: 'object', properties: { jobs: { type: 'array', items: etlJob } } }), ...errors(401, 404) } },
    post: {
      summary: 'Create an ETL job (editor); checked against the source before anything is saved',
      requestBody: {
        required: true,
        ...json({
          type: 'object',
          required: ['name', 'connectionId', 'source', 'columns', 'loadType'],
          properties: {
            name: { type: 'string' },
            connectionId: { type: 'string', format: 'uuid' },
            source: { description: '{schema, table} | {path, pattern, format} | {collection}' },
            columns: { type: 'array', items: {} },
            loadType: { enum: ['transactional', 'catalog'] },
            timestampColumn: { type: 'string' },
            primaryKey: { type: 'array', items: { type: 'string' } },
            backfill: { description: '{days} | {since} | {all: true}' },
            destinationTable: { type: 'string' },
            maxBadRows: { type: 'integer', minimum: 0 },
            lookbackSeconds: { type: 'integer', minimum: 0 },
          },
        }),
      },
      responses: { 201: json(etlJob), ...errors(400, 401, 403, 404, 409) },
    },
  },
  '/etl-jobs/{id}': {
    parameters: [pathParam('id')],
    get: { summary: 'One ETL job', responses: { 200: json(etlJob), ...errors(401, 404) } },
    patch: { summary: 'Rename, enable or disable, change maxBadRows, lookbackSeconds, backfill, or the columns (add, drop, retype; destinations stay)', responses: { 200: json(etlJob), ...errors(400, 401, 403, 404, 409) } },
    delete: { summary: 'Delete a job and its runs (the warehouse table stays)', responses: { 204: { description: 'Deleted' }, ...errors(401, 403, 404) } },
  },
  '/etl-jobs/{id}/runs': {
    parameters: [pathParam('id')],
    post: { summary: 'Start a run now', responses: { 202: json({ type: 'object', properties: { runId: { type: 'string' } } }), ...errors(401, 403, 404, 409) } },
    get: { summary: "The job's runs, newest first", responses: { 200: json({ type: 'object', properties: { runs: { type: 'array', items: etlRun } } }), ...errors(401, 404) } },
  },
  '/etl-runs/{id}': {
    parameters: [pathParam('id')],
    get: { summary: 'A run', responses: { 200: json(etlRun), ...errors(401, 404) } },
  },
  '/etl-runs/{id}/cancel': {
    parameters: [pathParam('id')],
    post: { summary: 'Cancel a run; the destination stays as it was', responses: { 200: json(etlRun), ...errors(401, 403, 404) } },
  },
  '/etl-runs/{id}/rejected-rows': {
    parameters: [pathParam('id')],
    get: { summary: 'Rows the run rejected: file, line, column, value (shortened), reason', responses: { 200: json({ type: 'object' }), ...errors(401, 404) } },
  },
};

/** The OpenAPI 3.1 description of `/api/v1`, served at `/api/v1/openapi.json`. */
export function openApiDocument(serverUrl: string) {
  return {
    openapi: '3.1.0',
    info: { title: 'b2b-recs API', version: '1', description: 'Authenticate with a session cookie or `Authorization: Bearer <token>` (`npm run recs -- create-token`).' },
    servers: [{ url: `${serverUrl}/api/v1` }],
    security: [{ bearer: [] }, { session: [] }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        session: { type: 'apiKey', in: 'cookie', name: 'recs.sid' },
      },
      schemas: {
        Error: error,
        Project: project,
        ProjectInput: z.toJSONSchema(projectInput, { io: 'input' }),
        ProjectPatch: z.toJSONSchema(projectPatch, { io: 'input' }),
      },
    },
    paths: {
      '/me': {
        get: {
          summary: 'The caller: user, tenant and role',
          responses: {
            200: json({ type: 'object', properties: { user: { type: 'object' }, tenant: { type: 'object' }, role: { enum: ['admin', 'editor', 'viewer'] } } }),
            ...errors(401),
          },
        },
      },
      '/projects': {
        get: { summary: 'The tenant\'s projects', responses: { 200: json({ type: 'object', properties: { projects: { type: 'array', items: { $ref: '#/components/schemas/Project' } } } }), ...errors(401) } },
        post: {
          summary: 'Create a project (editor)',
          requestBody: { required: true, ...json({ $ref: '#/components/schemas/ProjectInput' }) },
          responses: { 201: json({ $ref: '#/components/schemas/Project' }), ...errors(400, 401, 403, 409) },
        },
      },
      '/projects/{id}': {
        parameters: [idParam],
        get: { summary: 'One project', responses: { 200: json({ $ref: '#/components/schemas/Project' }), ...errors(401, 404) } },
        patch: {
          summary: 'Rename or describe a project (editor)',
          requestBody: { required: true, ...json({ $ref: '#/components/schemas/ProjectPatch' }) },
          responses: { 200: json({ $ref: '#/components/schemas/Project' }), ...errors(400, 401, 403, 404, 409) },
        },
        delete: { summary: 'Delete a project and everything in it (editor)', responses: { 204: { description: 'Deleted' }, ...errors(401, 403, 404) } },
      },
      ...CONNECTION_PATHS,
      ...ETL_PATHS,
      '/admin/ping': {
        post: {
          summary: 'Send a ping job through every worker queue and back (admin)',
          responses: { 200: json({ type: 'object' }), ...errors(401, 403) },
        },
      },
    },
  };
}
