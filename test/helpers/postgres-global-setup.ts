import type { TestProject } from 'vitest/node';
import { dropTestRun } from './postgres-server.js';

/** Global setup of the `postgres` project: at the end, drop whatever schemas this run left. */
export default function setup(project: TestProject): () => Promise<void> {
  return () => dropTestRun(String(project.config.env.TEST_DATABASE_URL));
}
