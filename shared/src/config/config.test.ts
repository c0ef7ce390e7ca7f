import { describe, expect, test } from '@jest/globals';
import path from 'node:path';
import { ConfigError, parseConfig } from './config.js';

describe('parseConfig', () => {
  test('an empty environment gives the local stack defaults', () => {
    const config = parseConfig({});
    expect(config.databaseUrl).toBe('postgres://postgres@127.0.0.1:5432/b2b_recs');
    expect(config.redis).toEqual({ url: 'redis://127.0.0.1:6379', prefix: 'recs', lockMs: 30_000 });
    expect(config.web.port).toBe(3000);
    expect(config.web.publicUrl).toBe('http://127.0.0.1:3000');
    expect(config.dataDir).toBe(path.resolve('data'));
    expect(config.stagingUrl).toBe(path.resolve('data', 'staging'));
    expect(config.warehouseUrl).toBe('local');
    expect(config.secrets.backend).toBe('local');
  });

  test('every bad variable is named in one error', () => {
    let error: unknown;
    try {
      parseConfig({ PORT: 'eighty', REDIS_URL: 'http://nope', SECRETS_BACKEND: 'vault', LOG_LEVEL: 'loud' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('4 variables');
    for (const name of ['PORT="eighty"', 'REDIS_URL="http://nope"', 'SECRETS_BACKEND="vault"', 'LOG_LEVEL="loud"']) expect(message).toContain(name);
  });

  test('cloud secrets need a Google Cloud project', () => {
    expect(() => parseConfig({ SECRETS_BACKEND: 'gcp' })).toThrow('GCP_PROJECT');
    expect(parseConfig({ SECRETS_BACKEND: 'gcp', GCP_PROJECT: 'acme-prod' }).gcp.project).toBe('acme-prod');
  });

  test('the OIDC audience defaults to the public URL, without a trailing slash', () => {
    const config = parseConfig({ PUBLIC_URL: 'https://recs.example.com/' });
    expect(config.web.publicUrl).toBe('https://recs.example.com');
    expect(config.gcp.oidcAudience).toBe('https://recs.example.com');
  });
});

test('.env.example documents exactly the variables the loader reads', async () => {
  const { readFile } = await import('node:fs/promises');
  const { CONFIG_VARIABLES } = await import('./config.js');
  const text = await readFile(new URL('../../../.env.example', import.meta.url), 'utf8');
  const documented = [...text.matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]).sort();
  expect(documented).toEqual([...CONFIG_VARIABLES].sort());
});
