import { createHash } from 'node:crypto';
import pg from 'pg';

/**
 * The PostgreSQL side of the tests. The `postgres` vitest project sets TEST_DATABASE_URL and
 * TEST_DATABASE_RUN; each test app's database is then a schema of its own, named after its data
 * directory, so test files run in parallel and apps that share a data directory share a database
 * as they would share an SQLite file.
 */
export const testDatabaseUrl: string | undefined = process.env.TEST_DATABASE_URL || undefined;

/** True in the `postgres` project. */
export const onPostgres = testDatabaseUrl !== undefined;

const runPrefix = () => `test_${process.env.TEST_DATABASE_RUN ?? 'local'}_`;

export function testSchemaName(dataDir: string): string {
  return `${runPrefix()}${createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}`;
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Creates the app's schema if need be; returns the DATABASE_URL the app runs on, or nothing on SQLite. */
export async function prepareTestDatabase(dataDir: string): Promise<Record<string, string>> {
  if (!testDatabaseUrl) return {};
  const schema = testSchemaName(dataDir);
  await withClient(testDatabaseUrl, (client) => client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`));
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

/** Drops every schema of this run, also those of apps that shared a data directory the test itself removed. */
export async function dropTestRun(url: string): Promise<void> {
  await withClient(url, async (client) => {
    const { rows } = await client.query<{ name: string }>(
      'SELECT nspname AS name FROM pg_namespace WHERE starts_with(nspname, $1)',
      [runPrefix()],
    );
    for (const { name } of rows) await client.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
  });
}

/** Why TEST_DATABASE_URL cannot be used, or null when a query goes through. */
export async function unreachableReason(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return (error as Error).message || String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}
