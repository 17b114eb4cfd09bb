import { randomBytes } from 'node:crypto';
import swc from 'unplugin-swc';
import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';
import { unreachableReason } from './test/helpers/postgres-server.js';
import { redisUnreachableReason } from './test/helpers/redis.js';

const DEFAULT_TEST_DATABASE_URL = 'postgres://root@127.0.0.1:5432/test';
const DEFAULT_TEST_REDIS_URL = 'redis://127.0.0.1:6379';
const e2e = ['test/**/*.e2e-spec.ts'];
/** End-to-end tests that use no database or queue (ffmpeg and files alone): once is enough. */
const withoutDatabase = ['test/smart-cut.e2e-spec.ts', 'test/source-proxy.e2e-spec.ts'];

/** What keeps the second stack from running, naming the server(s) that cannot be reached; null when both answer. */
async function secondStackProblem(databaseUrl: string, redisUrl: string): Promise<string | null> {
  const [database, redis] = await Promise.all([unreachableReason(databaseUrl), redisUnreachableReason(redisUrl)]);
  const problems = [
    ...(database === null ? [] : [`cannot reach TEST_DATABASE_URL=${databaseUrl} (${database})`]),
    ...(redis === null ? [] : [`cannot reach TEST_REDIS_URL=${redisUrl} (${redis})`]),
  ];
  return problems.length > 0 ? problems.join('; ') : null;
}

/**
 * The end-to-end suite runs on SQLite with the database queue, and again on the production
 * stack: PostgreSQL with the jobs on BullMQ. That run needs both servers: TEST_DATABASE_URL and
 * TEST_REDIS_URL, or local ones at the default addresses; without them it is skipped, saying which
 * and why, except under CI=true, where a missing server fails the run. TEST_DATABASE_URL=off skips
 * it on purpose.
 */
async function postgresProject(): Promise<TestProjectInlineConfiguration[]> {
  const url = process.env.TEST_DATABASE_URL || DEFAULT_TEST_DATABASE_URL;
  const redisUrl = process.env.TEST_REDIS_URL || DEFAULT_TEST_REDIS_URL;
  // Vitest evaluates this file more than once per run; decide (and say so) once.
  if (url === 'off' || process.env.TEST_DATABASE_SKIPPED) return [];
  const problem = process.env.TEST_DATABASE_RUN ? null : await secondStackProblem(url, redisUrl);
  if (problem !== null) {
    if (process.env.CI === 'true') throw new Error(`postgres project cannot run: ${problem}; with CI=true it must`);
    process.env.TEST_DATABASE_SKIPPED = problem;
    console.warn(`postgres project (PostgreSQL + BullMQ) skipped: ${problem}`);
    return [];
  }
  // Names this run's schemas and Redis prefixes, so that the global teardown drops exactly these.
  process.env.TEST_DATABASE_RUN ??= randomBytes(4).toString('hex');
  return [
    {
      extends: true,
      test: {
        name: 'postgres',
        include: e2e,
        exclude: withoutDatabase,
        env: { TEST_DATABASE_URL: url, TEST_REDIS_URL: redisUrl, TEST_APPS_ON_REDIS: 'true' },
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
      { extends: true, test: { name: 'sqlite', include: e2e, env: { TEST_DATABASE_URL: '', TEST_APPS_ON_REDIS: '' } } },
      ...(await postgresProject()),
    ],
  },
  // swc emits decorator metadata, which esbuild cannot; Nest's DI depends on it.
  plugins: [swc.vite({ module: { type: 'es6' } })],
}));
