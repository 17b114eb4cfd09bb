import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';

/**
 * Inserts a row whose every column the caller has set. `EntityManager.insert` would read the row
 * back afterwards to learn defaults and generated values (on SQLite, a SELECT per insert), which
 * the hot paths that enqueue jobs and accept downloads do not need.
 */
export async function insertRow<Entity extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<Entity>,
  row: QueryDeepPartialEntity<Entity> | QueryDeepPartialEntity<Entity>[],
): Promise<void> {
  await manager.createQueryBuilder().insert().into(target).values(row).updateEntity(false).execute();
}
