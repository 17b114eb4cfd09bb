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
import { dropTestDatabase, prepareTestDatabase } from './test-database.js';

/** A clock the test moves forward; it starts at the real time. */
export class TestClock extends Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
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

/**
 * The real application, listening on a loopback port, with a temporary data directory and the
 * real migrations: on a fresh SQLite file there, or in the `postgres` project on a fresh
 * PostgreSQL schema of its own. Apps given the same `dataDir` share their database.
 * `env` overrides configuration variables; `port` fixes the port (a process restarted on the same
 * address), else any free one is taken.
 */
export async function createTestApp(
  env: Record<string, string> = {},
  options: { dataDir?: string; port?: number } = {},
): Promise<TestApp> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'media-delivery-test-'));
  const database = await prepareTestDatabase(dataDir);
  const config = loadConfig({
    JOB_POLL_INTERVAL_MS: '50',
    CLEANUP_CRON: 'off',
    ...database,
    LOG_LEVEL: 'warn',
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
  return {
    app,
    dataSource: app.get<DataSource>(getDataSourceToken()),
    config,
    clock,
    dataDir,
    baseUrl: config.publicUrl,
    close: async () => {
      await app.close();
      if (options.dataDir) return;
      rmSync(dataDir, { recursive: true, force: true });
      await dropTestDatabase(dataDir);
    },
  };
}
