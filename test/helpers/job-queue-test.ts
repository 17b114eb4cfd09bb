import { vi } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import type { JobHandlerOptions } from '../../src/jobs/job-queue.js';
import { JobQueue } from '../../src/jobs/job-queue.js';
import { Job } from '../../src/jobs/job.entity.js';
import type { JobName } from '../../src/jobs/job-types.js';
import { createTestApp, TestApp } from './test-app.js';

/** A job name of the tests' own, so that no feature's handler takes these jobs. */
export const TEST_JOB = 'test.job' as JobName;
export const testJobOptions: JobHandlerOptions = { concurrency: 2, maxAttempts: 3, backoffMs: 50 };

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `condition` holds, failing the test after `timeoutMs`. */
export function until(condition: () => Promise<boolean> | boolean, timeoutMs = 8000): Promise<void> {
  return vi.waitFor(
    async () => {
      if (!(await condition())) throw new Error('The condition does not hold yet');
    },
    { timeout: timeoutMs, interval: 20 },
  );
}

/**
 * Starts test apps with short leases under `root`; an app given another's data folder shares its
 * database (and, through `env`, its Redis prefix). `close()` closes every app it started.
 */
export function jobQueueApps(root: string) {
  const apps: TestApp[] = [];
  return {
    async start(env: Record<string, string> = {}, dataDir = mkdtempSync(join(root, 'app-'))) {
      const testApp = await createTestApp({ JOB_LEASE_MS: '600', ...env }, { dataDir });
      apps.push(testApp);
      return {
        testApp,
        queue: testApp.app.get(JobQueue),
        jobs: () => testApp.dataSource.manager.find(Job, { where: { name: TEST_JOB } }),
      };
    },
    close: () => Promise.all(apps.splice(0).map((testApp) => testApp.close())),
  };
}
