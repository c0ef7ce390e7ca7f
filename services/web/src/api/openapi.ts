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
      '/admin/ping': {
        post: {
          summary: 'Send a ping job through every worker queue and back (admin)',
          responses: { 200: json({ type: 'object' }), ...errors(401, 403) },
        },
      },
    },
  };
}
