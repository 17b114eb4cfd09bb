import type { ObjectLiteral, Repository } from 'typeorm';
import { escapedTable } from './escaped-table.js';

/**
 * Finds one entity by one column with SQL built once. On a hot read path TypeORM's query builder
 * costs several times what the database lookup itself does; this keeps TypeORM's quoting,
 * placeholders and value hydration (dates, booleans) for whichever database is configured.
 */
export class PreparedLookup<Entity extends ObjectLiteral> {
  private readonly sql: string;

  constructor(
    private readonly repository: Repository<Entity>,
    column: keyof Entity & string,
  ) {
    const { driver } = repository.manager.connection;
    const { metadata } = repository;
    const where = metadata.findColumnWithPropertyName(column);
    if (!where) throw new Error(`${metadata.name} has no column ${column}`);
    const columns = metadata.columns.map((candidate) => driver.escape(candidate.databaseName)).join(', ');
    this.sql = `SELECT ${columns} FROM ${escapedTable(driver, metadata)} WHERE ${driver.escape(where.databaseName)} = ${driver.createParameter('value', 0)}`;
  }

  async findOne(value: string | number): Promise<Entity | null> {
    const rows: Record<string, unknown>[] = await this.repository.query(this.sql, [value]);
    if (rows.length === 0) return null;
    const { driver } = this.repository.manager.connection;
    const entity = this.repository.create();
    for (const column of this.repository.metadata.columns) {
      column.setEntityValue(entity, driver.prepareHydratedValue(rows[0][column.databaseName], column));
    }
    return entity;
  }
}
