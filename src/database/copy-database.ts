import { DataSource, EntityManager, EntityMetadata } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { buildDataSourceOptions } from './data-source-options.js';
import { entities } from './entities.js';
import { escapedTable } from './escaped-table.js';
import { DatabaseStartupError, openDatabase } from './open-database.js';

const BATCH_ROWS = 500;

/**
 * Moves a deployment from its SQLite file to PostgreSQL: migrates the (empty) PostgreSQL database
 * and copies every row of every table in one transaction, ids included, so links, Opencast job
 * ids and queued work carry over. Returns the rows copied per table.
 */
export async function copySqliteToPostgres(config: AppConfig): Promise<Record<string, number>> {
  if (!config.databaseUrl) throw new DatabaseStartupError('Set DATABASE_URL to the PostgreSQL database to copy into');
  const source = await openDatabase(buildDataSourceOptions({ ...config, databaseUrl: undefined }));
  try {
    const target = await openDatabase(buildDataSourceOptions(config));
    try {
      return await target.transaction((manager) => copyTables(source, manager));
    } finally {
      await target.destroy();
    }
  } finally {
    await source.destroy();
  }
}

async function copyTables(source: DataSource, target: EntityManager): Promise<Record<string, number>> {
  const copied: Record<string, number> = {};
  for (const entity of entities) {
    const metadata = target.connection.getMetadata(entity);
    if ((await target.count(entity)) > 0) {
      throw new DatabaseStartupError(`Not copying: table ${metadata.tableName} of DATABASE_URL already has rows`);
    }
    const order = Object.fromEntries(metadata.primaryColumns.map((column) => [column.propertyName, 'ASC']));
    copied[metadata.tableName] = 0;
    for (let skip = 0; ; skip += BATCH_ROWS) {
      const rows = await source.manager.find(entity, { order, skip, take: BATCH_ROWS });
      if (rows.length === 0) break;
      await insertAsTheyAre(target, metadata, rows);
      copied[metadata.tableName] += rows.length;
    }
    await advanceSequences(target, metadata);
  }
  return copied;
}

/** A plain INSERT with every column, generated ids too, which TypeORM's insert would leave out. */
async function insertAsTheyAre(target: EntityManager, metadata: EntityMetadata, rows: object[]): Promise<void> {
  const { driver } = target.connection;
  const names = metadata.columns.map((column) => driver.escape(column.databaseName)).join(', ');
  const parameters: unknown[] = [];
  const tuples = rows.map((row) => {
    const values = metadata.columns.map((column) => {
      parameters.push(driver.preparePersistentValue(column.getEntityValue(row), column));
      return driver.createParameter(`p${parameters.length}`, parameters.length - 1);
    });
    return `(${values.join(', ')})`;
  });
  await target.query(
    `INSERT INTO ${escapedTable(target.connection.driver, metadata)} (${names}) VALUES ${tuples.join(', ')}`,
    parameters,
  );
}

/** An id column's sequence continues after the copied ids, so the next new row does not collide. */
async function advanceSequences(target: EntityManager, metadata: EntityMetadata): Promise<void> {
  for (const column of metadata.generatedColumns) {
    const table = escapedTable(target.connection.driver, metadata);
    const name = target.connection.driver.escape(column.databaseName);
    await target.query(
      `SELECT setval(pg_get_serial_sequence($1, $2), GREATEST(MAX(${name}), 1), MAX(${name}) IS NOT NULL) FROM ${table}`,
      [table, column.databaseName],
    );
  }
}
