import { mkdirSync } from 'node:fs';
import type { DataSourceOptions } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { parsePostgresUrl } from './database-url.js';
import { entities } from './entities.js';
import { migrations } from './migrations/index.js';
import { keepPostgresTimestampsInUtc } from './postgres-timestamps.js';

/** How long connecting to PostgreSQL may take before the attempt counts as failed. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * One description of the database for the app and the TypeORM CLI. The schema comes from the
 * migrations only; `synchronize` stays off so that production never alters tables by itself.
 */
export function buildDataSourceOptions(config: AppConfig): DataSourceOptions {
  const common = { entities, migrations, migrationsRun: true, synchronize: false } as const;
  if (config.databaseUrl) {
    const { connectionUrl, schema } = parsePostgresUrl(config.databaseUrl);
    keepPostgresTimestampsInUtc();
    return {
      type: 'postgres',
      url: connectionUrl,
      schema,
      poolSize: config.databasePoolSize,
      connectTimeoutMS: CONNECT_TIMEOUT_MS,
      extra: {
        // Raw queries (and the migrations table) find the tables in the schema too.
        ...(schema && { options: `-c search_path=${schema}` }),
        ...(config.databaseStatementTimeoutMs > 0 && { statement_timeout: config.databaseStatementTimeoutMs }),
      },
      ...common,
    };
  }
  mkdirSync(config.dataDir, { recursive: true });
  return {
    type: 'better-sqlite3',
    database: config.sqlitePath,
    enableWAL: true,
    // Wait for a competing writer (the CLI, a second worker) rather than failing at once.
    timeout: 5000,
    prepareDatabase: (db: { pragma(statement: string): unknown }) => {
      db.pragma('foreign_keys = ON');
      db.pragma('synchronous = NORMAL');
    },
    ...common,
  };
}
