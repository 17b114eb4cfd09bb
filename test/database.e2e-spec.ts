import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../src/database/migrations/index.js';
import { createTestApp, TestApp } from './helpers/test-app.js';

describe('Database schema', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp();
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

  it('runs SQLite in WAL mode with a busy timeout', async () => {
    expect(await testApp.dataSource.query('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    expect(await testApp.dataSource.query('PRAGMA busy_timeout')).toEqual([{ timeout: 5000 }]);
  });
});
