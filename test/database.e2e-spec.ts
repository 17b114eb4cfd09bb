import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { migrations } from '../src/database/migrations/index.js';
import { registerEvent } from './helpers/factories.js';
import { createTestApp, TestApp } from './helpers/test-app.js';
import { dropTestDatabase, onPostgres, testSchemaName } from './helpers/test-database.js';

describe('Database schema', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    // Every statement of this file's tests runs under it: the schema comparison's catalogue queries
    // take up to 200 ms in all on a loaded server with a few dozen test schemas, close to 250 ms.
    testApp = await createTestApp({ DATABASE_STATEMENT_TIMEOUT_MS: '1000' });
  });
  afterAll(() => testApp.close());

  it('comes from the migrations, all of them run at start', async () => {
    const ran = await testApp.dataSource.query('SELECT name FROM migrations ORDER BY id');
    expect(ran.map((row: { name: string }) => row.name)).toEqual(migrations.map((migration) => migration.name));
  });

  it('is exactly what the entities describe (a changed entity needs a migration)', async () => {
    const pending = await testApp.dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((query) => query.query)).toEqual([]);
  });

  it.runIf(!onPostgres)('runs SQLite in WAL mode with a busy timeout', async () => {
    expect(await testApp.dataSource.query('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    expect(await testApp.dataSource.query('PRAGMA busy_timeout')).toEqual([{ timeout: 5000 }]);
  });

  it.runIf(onPostgres)("keeps PostgreSQL's tables in the schema DATABASE_URL names", async () => {
    const schema = testSchemaName(testApp.dataDir);
    expect(await testApp.dataSource.query('SELECT current_schema() AS schema')).toEqual([{ schema }]);
    const tables = await testApp.dataSource.query(
      'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
      [schema],
    );
    expect(tables.map((row: { name: string }) => row.name)).toEqual([
      'distribution_job',
      'event',
      'job',
      'migrations',
      'schedule_claim',
      'vod_download',
      'vod_download_clip',
    ]);
  });

  it.runIf(onPostgres)('opens as many PostgreSQL connections as DATABASE_POOL_SIZE says', () => {
    const driver = testApp.dataSource.driver as PostgresDriver;
    expect(driver.master.options.max).toBe(testApp.config.databasePoolSize);
  });

  it.runIf(onPostgres)('cancels a statement that outlasts DATABASE_STATEMENT_TIMEOUT_MS', async () => {
    expect(await testApp.dataSource.query('SHOW statement_timeout')).toEqual([{ statement_timeout: '1s' }]);
    await expect(testApp.dataSource.query('SELECT pg_sleep(5)')).rejects.toThrow(/statement timeout/);
  });

  it.runIf(onPostgres)('stores instants as UTC, whatever time zone each process runs in', async () => {
    const zone = process.env.TZ;
    try {
      process.env.TZ = 'Pacific/Chatham'; // +13:45 in December
      const event = await registerEvent(testApp.baseUrl, { startTime: '2018-10-10T14:00:00.000Z' });
      const [stored] = await testApp.dataSource.query(
        'SELECT "startTime"::text AS "startTime" FROM event WHERE id = $1',
        [event.id],
      );
      expect(stored).toEqual({ startTime: '2018-10-10 14:00:00' });

      process.env.TZ = 'America/Los_Angeles';
      const read = await request(testApp.baseUrl).get(`/event/${event.id}`).expect(200);
      expect(read.body.startTime).toBe('2018-10-10T14:00:00.000Z');
    } finally {
      process.env.TZ = zone;
    }
  });

  it.runIf(onPostgres)('migrates once when several processes start together on an empty database', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'database-together-'));
    const apps = await Promise.all([1, 2, 3].map(() => createTestApp({ WORKER_ENABLED: 'false' }, { dataDir })));
    try {
      const ran = await apps[0].dataSource.query('SELECT name FROM migrations ORDER BY id');
      expect(ran.map((row: { name: string }) => row.name)).toEqual(migrations.map((migration) => migration.name));
    } finally {
      await Promise.all(apps.map((app) => app.close()));
      rmSync(dataDir, { recursive: true, force: true });
      await dropTestDatabase(dataDir);
    }
  });
});
