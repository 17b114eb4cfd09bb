import { InitialSchema1764000000000 } from './1764000000000-initial-schema.js';
import { ScheduleClaims1764000100000 } from './1764000100000-schedule-claims.js';

/** Every migration, oldest first. TypeORM runs the ones a database has not seen at start. */
export const migrations = [InitialSchema1764000000000, ScheduleClaims1764000100000];
