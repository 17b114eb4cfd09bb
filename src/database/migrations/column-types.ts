import type { QueryRunner } from 'typeorm';

/** The column type TypeORM gives a `Date` property on this database, so migrations match the entities. */
export function timestampType(queryRunner: QueryRunner): string {
  return queryRunner.connection.driver.normalizeType({ type: Date });
}
