import type { TestProject } from 'vitest/node';
import { dropTestRun, runPrefix } from './postgres-server.js';
import { deleteRedisKeys } from './redis.js';

/** Global setup of the `postgres` project: at the end, drop whatever schemas and Redis keys this run left. */
export default function setup(project: TestProject): () => Promise<void> {
  const { TEST_DATABASE_URL, TEST_REDIS_URL } = project.config.env;
  return async () => {
    await dropTestRun(String(TEST_DATABASE_URL));
    await deleteRedisKeys(`${runPrefix()}*`, String(TEST_REDIS_URL));
  };
}
