import { DataSource, DataSourceOptions, MigrationExecutor, QueryRunner } from 'typeorm';
import { hidePassword } from '../security/hide-password.js';

/** The service cannot use its database; the message names the setting and never shows a password. */
export class DatabaseStartupError extends Error {}

/** The database was migrated by a newer release; running older code on it could corrupt it. */
export class SchemaTooNewError extends DatabaseStartupError {}

/** Any number, the same in every process: only one process migrates a PostgreSQL database at a time. */
const MIGRATION_LOCK_ID = 7_346_021_118;

/**
 * Connects, refuses a schema that is newer than this code, and runs the pending migrations. On
 * PostgreSQL several processes may start at once; an advisory lock lets one migrate while the
 * others wait, and they then find nothing pending.
 */
export async function openDatabase(options: DataSourceOptions): Promise<DataSource> {
  const dataSource = new DataSource({ ...options, migrationsRun: false });
  try {
    await dataSource.initialize();
  } catch (error) {
    throw new DatabaseStartupError(`Cannot connect to ${describeDatabase(options)}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    await migrate(dataSource, options);
    return dataSource;
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
}

async function migrate(dataSource: DataSource, options: DataSourceOptions): Promise<void> {
  const queryRunner = dataSource.createQueryRunner();
  const postgres = options.type === 'postgres';
  try {
    if (postgres) {
      // Neither waiting for another process's migrations nor a long migration is a runaway statement.
      await queryRunner.query('SET statement_timeout = 0');
      await queryRunner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    }
    const executor = new MigrationExecutor(dataSource, queryRunner);
    const known = new Set(dataSource.migrations.map((migration) => migration.name));
    const unknown = (await executor.getExecutedMigrations()).filter((migration) => !known.has(migration.name));
    if (unknown.length > 0) {
      throw new SchemaTooNewError(
        `The schema of ${describeDatabase(options)} is newer than this release: it holds migration(s) ` +
          `${unknown.map((migration) => migration.name).join(', ')} that this code does not know. ` +
          'Run the release that migrated it, or a newer one.',
      );
    }
    await executor.executePendingMigrations();
  } finally {
    if (postgres) await unlock(queryRunner);
    await queryRunner.release();
  }
}

/** Gives the connection back to the pool as it came: unlocked, with the configured statement timeout. */
async function unlock(queryRunner: QueryRunner): Promise<void> {
  await queryRunner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
  await queryRunner.query('RESET statement_timeout').catch(() => undefined);
}

function describeDatabase(options: DataSourceOptions): string {
  if (options.type === 'postgres') {
    const schema = options.schema ? ` (schema ${options.schema})` : '';
    return `the database at DATABASE_URL=${hidePassword(String(options.url))}${schema}`;
  }
  return `the SQLite database ${String(options.database)} (DATABASE_URL is unset)`;
}
