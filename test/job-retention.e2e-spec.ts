import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { In } from 'typeorm';
import { JobQueue } from '../src/jobs/job-queue.js';
import { JOB_RETENTION_SCHEDULE, JobRetention } from '../src/jobs/job-retention.js';
import type { JobName } from '../src/jobs/job-types.js';
import { Job } from '../src/jobs/job.entity.js';
import { ScheduleClaim } from '../src/jobs/schedule-claim.entity.js';
import { createTestApp, TestApp } from './helpers/test-app.js';

const DAY = 24 * 60 * 60 * 1000;
// A job name of the tests' own, so that no feature's handler takes these jobs.
const TEST_JOB = 'test.job' as JobName;

/** How TypeORM stores a Date in SQLite: UTC, 'YYYY-MM-DD HH:MM:SS.SSS'. */
const sqliteDate = (date: Date) => date.toISOString().replace('T', ' ').replace('Z', '');

const JOB_COLUMNS = `"id", "name", "key", "data", "status", "attempts", "runAt", "lastError", "createdAt"`;
/** Inserts `$1` jobs keyed `$2-<n>`, of name `$3` and status `$4`, due at `$5`, created at `$6`. */
const GENERATE_ON_SQLITE = `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
  INSERT INTO job (${JOB_COLUMNS}) SELECT ? || '-' || i, ?, ? || '-' || i, '{}', ?, 3, ?, 'it broke', ? FROM n`;
const GENERATE_ON_POSTGRES = `INSERT INTO job (${JOB_COLUMNS})
  SELECT $2 || '-' || i, $3, $2 || '-' || i, '{}', $4, 3, $5, 'it broke', $6 FROM generate_series(0, $1 - 1) AS i`;

/** Inserts `count` jobs in one statement; one by one would take longer than what is tested. */
async function insertJobs(testApp: TestApp, count: number, prefix: string, status: Job['status'], runAt: Date) {
  const createdAt = new Date(runAt.getTime() - DAY);
  if (testApp.dataSource.options.type === 'postgres') {
    await testApp.dataSource.query(GENERATE_ON_POSTGRES, [count, prefix, TEST_JOB, status, runAt, createdAt]);
  } else {
    await testApp.dataSource.query(GENERATE_ON_SQLITE, [
      count,
      prefix,
      TEST_JOB,
      prefix,
      status,
      sqliteDate(runAt),
      sqliteDate(createdAt),
    ]);
  }
}

describe(JobRetention.name, () => {
  describe('pruning', () => {
    let testApp: TestApp;
    beforeAll(async () => {
      testApp = await createTestApp({ WORKER_ENABLED: 'false', JOB_RETENTION_DAYS: '7' });
    });
    afterEach(async () => {
      vi.restoreAllMocks();
      await testApp.dataSource.manager.clear(Job);
    });
    afterAll(() => testApp.close());

    it('deletes 50,000 jobs that failed over JOB_RETENTION_DAYS ago, in bounded batches, and keeps the rest', async () => {
      const now = new Date();
      const old = new Date(now.getTime() - 30 * DAY);
      const rows = 50_000;
      await insertJobs(testApp, rows, 'old-failed', 'failed', old);
      await insertJobs(testApp, 3, 'recent-failed', 'failed', new Date(now.getTime() - 6 * DAY));
      // Pending work is never pruned, however old its due date.
      await insertJobs(testApp, 2, 'old-queued', 'queued', old);
      await insertJobs(testApp, 1, 'old-active', 'active', old);
      const deletes = vi.spyOn(testApp.dataSource.manager, 'delete');

      const deleted = await testApp.app.get(JobRetention).pruneEnded(now);

      expect(deleted).toBe(rows);
      const kept = await testApp.dataSource.manager.find(Job, { order: { id: 'ASC' } });
      expect(kept.map((job) => job.key)).toEqual([
        'old-active-0',
        'old-queued-0',
        'old-queued-1',
        'recent-failed-0',
        'recent-failed-1',
        'recent-failed-2',
      ]);
      const batchSizes = deletes.mock.calls.map(
        ([, criteria]) => (criteria as { id: { value: string[] } }).id.value.length,
      );
      expect(batchSizes.length).toBeGreaterThanOrEqual(rows / 500);
      expect(Math.max(...batchSizes)).toBeLessThanOrEqual(500);
      expect(batchSizes.reduce((sum, size) => sum + size, 0)).toBe(rows);
    }, 60_000);

    it('keeps everything when nothing is old enough', async () => {
      await insertJobs(testApp, 5, 'recent-failed', 'failed', new Date(Date.now() - 6 * DAY));
      expect(await testApp.app.get(JobRetention).pruneEnded()).toBe(0);
      expect(await testApp.dataSource.manager.count(Job, {})).toBe(5);
    });
  });

  it('counts the retention period from when the job failed', async () => {
    const testApp = await createTestApp({ JOB_RETENTION_DAYS: '7' });
    try {
      const queue = testApp.app.get(JobQueue);
      let failedAt = 0;
      queue.registerHandler(
        TEST_JOB,
        async () => {
          failedAt = Date.now();
          throw new Error('it broke');
        },
        { concurrency: 1, maxAttempts: 1, backoffMs: 10 },
      );
      // Due later than it is created, so the creation and the first due date are both before the failure.
      await queue.enqueue(TEST_JOB, 'k1', {} as never, { delayMs: 200 });
      const failed = () => testApp.dataSource.manager.findOneBy(Job, { key: 'k1', status: 'failed' });
      await expect.poll(failed, { timeout: 5000, interval: 20 }).not.toBeNull();
      const job = (await failed())!;
      expect(job.runAt.getTime()).toBeGreaterThanOrEqual(failedAt);

      const retention = testApp.app.get(JobRetention);
      expect(await retention.pruneEnded(new Date(failedAt + 7 * DAY - 1))).toBe(0);
      expect(await retention.pruneEnded(new Date(job.runAt.getTime() + 7 * DAY + 1))).toBe(1);
      expect(await testApp.dataSource.manager.countBy(Job, { key: In(['k1']) })).toBe(0);
    } finally {
      await testApp.close();
    }
  });

  it('runs on CLEANUP_CRON, claiming each tick in the database when there is no Redis', async () => {
    // Every second, so the test sees a scheduled run. With Redis a BullMQ job scheduler runs the
    // tick instead (tested in redis-shared-state), so this app runs without it on either stack.
    const testApp = await createTestApp({ CLEANUP_CRON: '* * * * * *', WORKER_ENABLED: 'false', REDIS_URL: '' });
    try {
      await insertJobs(testApp, 1, 'old-failed', 'failed', new Date(Date.now() - 30 * DAY));
      await expect.poll(() => testApp.dataSource.manager.count(Job, {}), { timeout: 5000, interval: 20 }).toBe(0);
      expect(await testApp.dataSource.manager.existsBy(ScheduleClaim, { name: JOB_RETENTION_SCHEDULE })).toBe(true);
    } finally {
      await testApp.close();
    }
  });
});
