import { randomBytes } from 'node:crypto';
import swc from 'unplugin-swc';
import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';
import { unreachableReason } from './test/helpers/postgres-server.js';

const DEFAULT_TEST_DATABASE_URL = 'postgres://root@127.0.0.1:5432/test';
const e2e = ['test/**/*.e2e-spec.ts'];

/**
 * The end-to-end suite runs on SQLite and again on PostgreSQL. The PostgreSQL run needs a server:
 * TEST_DATABASE_URL, or a local one at the default address; without one it is skipped, saying
 * so, except under CI=true, where a missing server fails the run. TEST_DATABASE_URL=off skips it.
 */
async function postgresProject(): Promise<TestProjectInlineConfiguration[]> {
  const url = process.env.TEST_DATABASE_URL || DEFAULT_TEST_DATABASE_URL;
  // Vitest evaluates this file more than once per run; decide (and say so) once.
  if (url === 'off' || process.env.TEST_DATABASE_SKIPPED) return [];
  const reason = process.env.TEST_DATABASE_RUN ? null : await unreachableReason(url);
  if (reason !== null) {
    const problem = `cannot reach TEST_DATABASE_URL=${url} (${reason})`;
    if (process.env.CI === 'true') throw new Error(`postgres project cannot run: ${problem}; with CI=true it must`);
    process.env.TEST_DATABASE_SKIPPED = problem;
    console.warn(`postgres project skipped: ${problem}`);
    return [];
  }
  // Names this run's schemas, so that the global teardown drops exactly these.
  process.env.TEST_DATABASE_RUN ??= randomBytes(4).toString('hex');
  return [
    {
      extends: true,
      test: {
        name: 'postgres',
        include: e2e,
        env: { TEST_DATABASE_URL: url },
        globalSetup: ['test/helpers/postgres-global-setup.ts'],
      },
    },
  ];
}

export default defineConfig(async () => ({
  test: {
    root: './',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'unit', include: ['src/**/*.spec.ts'] } },
      { extends: true, test: { name: 'sqlite', include: e2e, env: { TEST_DATABASE_URL: '' } } },
      ...(await postgresProject()),
    ],
  },
  // swc emits decorator metadata, which esbuild cannot; Nest's DI depends on it.
  plugins: [swc.vite({ module: { type: 'es6' } })],
}));
