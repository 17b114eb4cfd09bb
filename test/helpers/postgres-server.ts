import pg from 'pg';

/**
 * The test PostgreSQL server as the vitest config and its global setup see it; nothing here
 * imports the service, which the config loader could not compile.
 */

/** Every schema of one test run starts with this; TEST_DATABASE_RUN names the run. */
export const runPrefix = () => `test_${process.env.TEST_DATABASE_RUN ?? 'local'}_`;

export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
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
