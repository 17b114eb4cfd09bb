import type { Driver, EntityMetadata } from 'typeorm';

/** The entity's table for raw SQL: on PostgreSQL with a schema `"schema"."table"`, each part quoted on its own. */
export function escapedTable(driver: Driver, metadata: EntityMetadata): string {
  return metadata.tablePath
    .split('.')
    .map((part) => driver.escape(part))
    .join('.');
}
