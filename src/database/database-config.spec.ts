import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/app-config.js';

describe('loadConfig: the database settings', () => {
  it('defaults to 10 connections and a 30 s statement timeout', () => {
    expect(loadConfig({})).toMatchObject({ databasePoolSize: 10, databaseStatementTimeoutMs: 30_000 });
    expect(loadConfig({ DATABASE_POOL_SIZE: '25', DATABASE_STATEMENT_TIMEOUT_MS: '0' })).toMatchObject({
      databasePoolSize: 25,
      databaseStatementTimeoutMs: 0,
    });
  });

  it('refuses a pool without connections', () => {
    expect(() => loadConfig({ DATABASE_POOL_SIZE: '0' })).toThrow('DATABASE_POOL_SIZE="0": expected a number from 1');
  });

  it('refuses a schema name that would need quoting, without showing the password', () => {
    const load = () => loadConfig({ DATABASE_URL: 'postgres://media:hunter2@db/media?schema=a-b' });
    expect(load).toThrow('DATABASE_URL="postgres://media:***@db/media?schema=a-b": schema "a-b"');
    expect(load).not.toThrow(/hunter2/);
  });
});
