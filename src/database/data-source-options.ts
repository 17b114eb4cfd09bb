import { mkdirSync } from 'node:fs';
import type { DataSourceOptions } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { entities } from './entities.js';
import { migrations } from './migrations/index.js';

/**
 * One description of the database for the app and the TypeORM CLI. The schema comes from the
 * migrations only; `synchronize` stays off so that production never alters tables by itself.
 */
export function buildDataSourceOptions(config: AppConfig): DataSourceOptions {
  const common = { entities, migrations, migrationsRun: true, synchronize: false } as const;
  if (config.databaseUrl) {
    return { type: 'postgres', url: config.databaseUrl, ...common };
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
