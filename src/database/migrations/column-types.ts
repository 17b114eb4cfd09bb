import type { QueryRunner } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata.js';

/** The column type TypeORM gives a `Date` property on this database, so migrations match the entities. */
export function timestampType(queryRunner: QueryRunner): string {
  return queryRunner.connection.driver.normalizeType({ type: Date });
}

/** A boolean column default as this database spells it (SQLite: 0/1, PostgreSQL: false/true). */
export function booleanDefault(queryRunner: QueryRunner, value: boolean): string | undefined {
  return queryRunner.connection.driver.normalizeDefault({ default: value } as ColumnMetadata);
}
