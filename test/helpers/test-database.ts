import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config/app-config.js';
import { buildDataSourceOptions } from '../../src/database/data-source-options.js';
import { runPrefix, withClient } from './postgres-server.js';

/**
 * The PostgreSQL side of the tests. The `postgres` vitest project sets TEST_DATABASE_URL and
 * TEST_DATABASE_RUN; each test app's database is then a schema of its own, named after its data
 * directory, so test files run in parallel and apps that share a data directory share a database
 * as they would share an SQLite file.
 */
export const testDatabaseUrl: string | undefined = process.env.TEST_DATABASE_URL || undefined;

/** True in the `postgres` project. */
export const onPostgres = testDatabaseUrl !== undefined;

const UNIQUE_VIOLATION = '23505';

/** The n-th (from 1) parameter of a raw query, in the test database's own syntax. */
export const param = (n: number) => (onPostgres ? `$${n}` : '?');

export function testSchemaName(dataDir: string): string {
  return `${runPrefix()}${createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}`;
}

/** Creates the app's schema if need be; returns the DATABASE_URL the app runs on, or nothing on SQLite. */
export async function prepareTestDatabase(dataDir: string): Promise<Record<string, string>> {
  if (!testDatabaseUrl) return {};
  const schema = testSchemaName(dataDir);
  await withClient(testDatabaseUrl, async (client) => {
    // IF NOT EXISTS still races with apps starting together on one data directory.
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`).catch((error: { code?: string }) => {
      if (error.code !== UNIQUE_VIOLATION) throw error;
    });
  });
  const url = new URL(testDatabaseUrl);
  url.searchParams.set('schema', schema);
  // Many apps run at once against one server (max_connections is 100 by default).
  return { DATABASE_URL: url.toString(), DATABASE_POOL_SIZE: '4' };
}

export async function dropTestDatabase(dataDir: string): Promise<void> {
  if (!testDatabaseUrl) return;
  await withClient(testDatabaseUrl, (client) =>
    client.query(`DROP SCHEMA IF EXISTS ${testSchemaName(dataDir)} CASCADE`),
  );
}

/** The database of the app(s) on `dataDir`, opened as another process would while they are stopped. */
export async function openTestDatabase(dataDir: string): Promise<DataSource> {
  const config = loadConfig({ ...(await prepareTestDatabase(dataDir)), DATA_DIR: dataDir });
  return new DataSource({ ...buildDataSourceOptions(config), migrationsRun: false }).initialize();
}
