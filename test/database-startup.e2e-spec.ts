import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestApp } from './helpers/test-app.js';
import { dropTestDatabase, onPostgres, prepareTestDatabase } from './helpers/test-database.js';

interface Exit {
  code: number | null;
  stderr: string;
}

/** Runs the service's real entry point (src/main.ts, compiled on the fly) until it exits. */
function runService(env: Record<string, string>, timeoutMs = 30_000): Promise<Exit> {
  const child = spawn(process.execPath, ['--import', './test/helpers/ts-loader.mjs', 'src/main.ts'], {
    env: { PATH: process.env.PATH, PORT: '0', CLEANUP_CRON: 'off', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // A service that starts after all would listen for ever.
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    }),
  );
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

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
      const url = `postgres://media:hunter2@127.0.0.1:${await closedPort()}/media`;
      const exit = await runService({ DATABASE_URL: url, DATA_DIR: dataDir });

      expect(exit.code).toBe(69);
      expect(exit.stderr).toContain(
        `Not starting: Cannot connect to the database at DATABASE_URL=${url.replace('hunter2', '***')}: connect ECONNREFUSED`,
      );
      expect(exit.stderr).not.toContain('hunter2');
    },
  );

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
