/**
 * Three tiers: unit tests beside the code, integration tests against this machine's PostgreSQL,
 * MariaDB and Redis (each file in its own database and queue prefix), and browser tests driving
 * Debian's Chromium. TypeScript runs through @swc/jest as ESM (MikroORM 7 is ESM only).
 */
const transform = {
  '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2024' }, module: { type: 'es6' } }],
};
const common = {
  transform,
  extensionsToTreatAsEsm: ['.ts'],
  testEnvironment: 'node',
  moduleNameMapper: {
    '^@b2b-recs/shared$': '<rootDir>/shared/src/index.ts',
    '^@b2b-recs/shared/(.*)$': '<rootDir>/shared/src/$1',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
};

export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/shared/src/**/*.test.ts', '<rootDir>/services/*/src/**/*.test.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'] },
    { ...common, displayName: 'browser', testMatch: ['<rootDir>/test/browser/**/*.test.ts'] },
  ],
  testTimeout: 60_000,
};
