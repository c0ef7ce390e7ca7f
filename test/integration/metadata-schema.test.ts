import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { createTestEnv, type TestEnv } from '../support/test-env.js';

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv();
});
afterAll(async () => {
  await env?.cleanup();
});

test('the committed migrations build exactly the schema the entities describe', async () => {
  const diff = await env.orm.schema.getUpdateSchemaSQL({ wrap: false });
  expect(diff.trim()).toBe('');
});

test('applying the migrations again changes nothing', async () => {
  expect(await env.orm.migrator.up()).toEqual([]);
});
