import 'reflect-metadata';
import { ConfigError, loadConfig } from '../config/app-config.js';
import { copySqliteToPostgres } from './copy-database.js';
import { DatabaseStartupError } from './open-database.js';

/**
 * `DATA_DIR=… DATABASE_URL=postgres://… node dist/src/database/copy-sqlite-to-postgres.js`:
 * copies $DATA_DIR/app.sqlite into an empty PostgreSQL database. Run it with the service stopped.
 */
try {
  const copied = await copySqliteToPostgres(loadConfig());
  for (const [table, rows] of Object.entries(copied)) console.log(`${table}: ${rows} row(s) copied`);
} catch (error) {
  if (!(error instanceof ConfigError || error instanceof DatabaseStartupError)) throw error;
  console.error(error.message);
  process.exit(error instanceof ConfigError ? 78 : 69);
}
