import { In } from 'typeorm';
import type { EntityManager, EntityTarget, FindOptionsWhere, ObjectLiteral } from 'typeorm';

const BATCH_SIZE = 500;

/**
 * Deletes the rows matching `where`, at most BATCH_SIZE per statement, so any number of them
 * fits in bounded memory and no statement holds the table for long; returns how many.
 */
export async function deleteInBatches<T extends ObjectLiteral>(
  manager: EntityManager,
  entity: EntityTarget<T>,
  key: keyof T & string,
  where: FindOptionsWhere<T>,
): Promise<number> {
  let deleted = 0;
  for (;;) {
    const batch = await manager.find(entity, { select: { [key]: true } as never, where, take: BATCH_SIZE });
    if (batch.length === 0) return deleted;
    await manager.delete(entity, { [key]: In(batch.map((row) => row[key])) } as never);
    deleted += batch.length;
  }
}
