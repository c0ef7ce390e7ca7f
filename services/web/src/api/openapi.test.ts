import { describe, expect, test } from '@jest/globals';
import { parseConfig } from '@b2b-recs/shared';
import type { WebDeps } from '../context.js';
import { apiRouter } from './api-router.js';
import { openApiDocument } from './openapi.js';

/** Every route the API router serves, as OpenAPI would write it: `GET /projects/{id}`. */
function servedRoutes(): string[] {
  // The router is only built here, never run: its handlers need none of the deps.
  const router = apiRouter({ config: parseConfig({}), connections: {}, queues: {} } as unknown as WebDeps);
  const routes: string[] = [];
  for (const layer of router.stack as { route?: { path: string; methods: Record<string, boolean> } }[]) {
    if (!layer.route) continue;
    const path = layer.route.path.replace(/:(\w+)/g, '{$1}');
    for (const method of Object.keys(layer.route.methods)) routes.push(`${method.toUpperCase()} ${path}`);
  }
  return routes.sort();
}

function documentedRoutes(): string[] {
  const doc = openApiDocument('http://x');
  const routes: string[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of Object.keys(item)) if (method !== 'parameters') routes.push(`${method.toUpperCase()} ${path}`);
  }
  return routes.sort();
}

describe('the OpenAPI document', () => {
  test('describes exactly the routes the API serves', () => {
    const served = servedRoutes().filter((r) => r !== 'GET /openapi.json');
    expect(documentedRoutes()).toEqual(served);
  });
});
