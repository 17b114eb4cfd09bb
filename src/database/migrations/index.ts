import { InitialSchema1764000000000 } from './1764000000000-initial-schema.js';

/** Every migration, oldest first. TypeORM runs the ones a database has not seen at start. */
export const migrations = [InitialSchema1764000000000];
