import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import { AppModule } from '../../src/app.module.js';
import { configureApp } from '../../src/app.setup.js';
import { Clock } from '../../src/common/clock.js';
import { AppConfig, loadConfig } from '../../src/config/app-config.js';
import { deleteRedisKeys, TEST_REDIS_URL } from './redis.js';
import { dropTestDatabase, prepareTestDatabase, testSchemaName } from './test-database.js';

/** A clock the test moves forward (or holds still); it starts at the real time. */
export class TestClock extends Clock {
  private offsetMs = 0;
  private heldAt: number | undefined;

  now(): Date {
    return new Date((this.heldAt ?? Date.now()) + this.offsetMs);
  }

  /**
   * Stops the clock until `release`: "still within N ms" then holds however long the test's own
   * steps take on a busy machine, and only `advance` moves it on.
   */
  hold(): void {
    this.heldAt = Date.now();
  }

  /** Back to the real time (plus what was advanced). */
  release(): void {
    this.heldAt = undefined;
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }

  advanceDays(days: number): void {
    this.advance(days * 24 * 60 * 60 * 1000);
  }
}

export interface TestApp {
  app: NestExpressApplication;
  dataSource: DataSource;
  config: AppConfig;
  clock: TestClock;
  dataDir: string;
  /** http://127.0.0.1:<port> of the listening app. */
  baseUrl: string;
  close(): Promise<void>;
}

/** True in the `postgres` project, whose apps run their jobs on BullMQ. */
export const appsOnRedis = process.env.TEST_APPS_ON_REDIS === 'true';

/** Open apps per Redis prefix: the keys go when the last app using them closes. */
const appsByRedisPrefix = new Map<string, number>();

/**
 * In the `postgres` project, REDIS_URL and a key prefix named after the data directory, so that
 * apps sharing a data directory share their queues as they share their database. An `env` that
 * names its own REDIS_URL (blank: the database queue) or REDIS_PREFIX keeps it, and its keys.
 */
function testRedis(dataDir: string, env: Record<string, string>): Record<string, string> {
  if (!appsOnRedis || 'REDIS_URL' in env || 'REDIS_PREFIX' in env) return {};
  return { REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: testSchemaName(dataDir), JOB_RELAY_INTERVAL_MS: '500' };
}

async function releaseRedisPrefix(prefix: string | undefined): Promise<void> {
  if (prefix === undefined) return;
  const open = (appsByRedisPrefix.get(prefix) ?? 1) - 1;
  if (open > 0) {
    appsByRedisPrefix.set(prefix, open);
    return;
  }
  appsByRedisPrefix.delete(prefix);
  await deleteRedisKeys(prefix);
}

/**
 * The real application, listening on a loopback port, with a temporary data directory and the
 * real migrations: on a fresh SQLite file there, or in the `postgres` project on a fresh
 * PostgreSQL schema of its own, with the jobs on BullMQ under a Redis prefix of its own. Apps given
 * the same `dataDir` share their database (and Redis prefix).
 * `env` overrides configuration variables; `port` fixes the port (a process restarted on the same
 * address), else any free one is taken.
 */
export async function createTestApp(
  env: Record<string, string> = {},
  options: { dataDir?: string; port?: number } = {},
): Promise<TestApp> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'media-delivery-test-'));
  const database = await prepareTestDatabase(dataDir);
  const redis = testRedis(dataDir, env);
  const config = loadConfig({
    JOB_POLL_INTERVAL_MS: '50',
    CLEANUP_CRON: 'off',
    ...database,
    LOG_LEVEL: 'warn',
    ...redis,
    ...env,
    DATA_DIR: dataDir,
    PORT: '0',
  });
  const clock = new TestClock();
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
    .overrideProvider(AppConfig)
    .useValue(config)
    .overrideProvider(Clock)
    .useValue(clock)
    .compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({ bodyParser: false, logger: ['error', 'warn'] });
  await configureApp(app);
  await app.listen(options.port ?? 0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  config.publicUrl = `http://127.0.0.1:${port}`;
  // The default distribution base URL derives from PUBLIC_URL, which only now knows the port.
  if (!env.DISTRIBUTION_BASE_URL) config.distribution.baseUrl = `${config.publicUrl}/static`;
  const redisPrefix = redis.REDIS_PREFIX;
  if (redisPrefix) appsByRedisPrefix.set(redisPrefix, (appsByRedisPrefix.get(redisPrefix) ?? 0) + 1);
  return {
    app,
    dataSource: app.get<DataSource>(getDataSourceToken()),
    config,
    clock,
    dataDir,
    baseUrl: config.publicUrl,
    close: async () => {
      await app.close();
      await releaseRedisPrefix(redisPrefix);
      if (options.dataDir) return;
      rmSync(dataDir, { recursive: true, force: true });
      await dropTestDatabase(dataDir);
    },
  };
}
