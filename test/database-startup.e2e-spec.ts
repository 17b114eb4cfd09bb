import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runEntryPoint } from './helpers/entry-point.js';
import { createTestApp } from './helpers/test-app.js';
import { dropTestDatabase, onPostgres, prepareTestDatabase } from './helpers/test-database.js';

/** The service's real entry point; a service that starts after all would listen until killed. */
const runService = (env: Record<string, string>) =>
  runEntryPoint('src/main.ts', { PORT: '0', CLEANUP_CRON: 'off', ...env });

/**
 * Nothing listens on port 1: binding it takes root, and no test binds it. A port found free and
 * released could be taken by another test's server during the service's 4 tries, 1 s apart, and
 * the refusal the test expects would become some other error.
 */
const REFUSING_PORT = 1;

describe('Starting the service', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'database-startup-'));
  afterAll(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await dropTestDatabase(dataDir);
  });

  // The database under test plays no part here, so once is enough.
  it.runIf(!onPostgres)(
    'stops with a message naming DATABASE_URL, password hidden, when PostgreSQL cannot be reached',
    async () => {
      const url = `postgres://media:hunter2@127.0.0.1:${REFUSING_PORT}/media`;
      const exit = await runService({ DATABASE_URL: url, DATA_DIR: dataDir });

      expect(exit.code).toBe(69);
      expect(exit.stderr).toContain(
        `Not starting: Cannot connect to the database at DATABASE_URL=${url.replace('hunter2', '***')}: connect ECONNREFUSED`,
      );
      expect(exit.stderr).not.toContain('hunter2');
    },
  );

  it.runIf(!onPostgres)('names a DATABASE_URL that is not PostgreSQL, password hidden', async () => {
    const exit = await runService({ DATABASE_URL: 'mysql://media:hunter2@db/media', DATA_DIR: dataDir });

    expect(exit.code).toBe(78);
    expect(exit.stderr).toContain('DATABASE_URL="mysql://media:***@db/media": expected a postgres:// URL');
    expect(exit.stderr).not.toContain('hunter2');
  });

  it('stops when the schema is newer than the code: the database holds a migration this code does not know', async () => {
    const testApp = await createTestApp({ WORKER_ENABLED: 'false' }, { dataDir });
    await testApp.dataSource.query(
      "INSERT INTO migrations (timestamp, name) VALUES (1900000000000, 'FromTheFuture1900000000000')",
    );
    await testApp.app.close();

    const exit = await runService({ ...(await prepareTestDatabase(dataDir)), DATA_DIR: dataDir });

    expect(exit.code).toBe(69);
    expect(exit.stderr).toMatch(/Not starting: The schema of the .* is newer than this release/);
    expect(exit.stderr).toContain('FromTheFuture1900000000000');
    expect(exit.stderr).toContain(onPostgres ? 'DATABASE_URL=' : 'DATABASE_URL is unset');
    // Retrying cannot make old code fit a newer schema.
    expect(exit.stderr).not.toContain('Retrying (2)');
  });
});
