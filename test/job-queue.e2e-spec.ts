import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DatabaseJobQueue } from '../src/jobs/database-job-queue.js';
import { JOB_CANCELLED, JobContext, JobHandlerOptions, JobQueue } from '../src/jobs/job-queue.js';
import { Job } from '../src/jobs/job.entity.js';
import type { JobName } from '../src/jobs/job-types.js';
import { createTestApp, TestApp } from './helpers/test-app.js';

// A job name of the tests' own, so that no feature's handler takes these jobs.
const TEST_JOB = 'test.job' as JobName;
const options: JobHandlerOptions = { concurrency: 2, maxAttempts: 3, backoffMs: 50 };

const until = async (condition: () => Promise<boolean> | boolean, timeoutMs = 5000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('Timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe(DatabaseJobQueue.name, () => {
  const apps: TestApp[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'job-queue-'));
  const start = async (env: Record<string, string> = {}, appDataDir = mkdtempSync(join(dataDir, 'app-'))) => {
    const testApp = await createTestApp({ JOB_LEASE_MS: '600', ...env }, { dataDir: appDataDir });
    apps.push(testApp);
    return {
      testApp,
      queue: testApp.app.get(JobQueue),
      jobs: () => testApp.dataSource.manager.find(Job, { where: { name: TEST_JOB } }),
    };
  };
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((testApp) => testApp.close()));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('runs a job and removes it when done', async () => {
    const { queue, jobs } = await start();
    const seen: unknown[] = [];
    queue.registerHandler(TEST_JOB, async (data, context) => void seen.push([data, context.attempt]), options);
    await queue.enqueue(TEST_JOB, 'k1', { downloadId: 'one' } as never);

    await until(() => seen.length === 1);
    expect(seen).toEqual([[{ downloadId: 'one' }, 1]]);
    await until(async () => (await jobs()).length === 0);
  });

  it('retries with backoff, then keeps the job as failed with its last error', async () => {
    const { queue, jobs } = await start();
    const attempts: number[] = [];
    queue.registerHandler(
      TEST_JOB,
      async (_data, context) => {
        attempts.push(Date.now());
        throw new Error(`attempt ${context.attempt} broke`);
      },
      options,
    );
    await queue.enqueue(TEST_JOB, 'k1', {} as never);

    await until(async () => (await jobs())[0]?.status === 'failed');
    expect(attempts).toHaveLength(3);
    expect(attempts[1] - attempts[0]).toBeGreaterThanOrEqual(50);
    expect(attempts[2] - attempts[1]).toBeGreaterThanOrEqual(100);
    expect((await jobs())[0]).toMatchObject({ attempts: 3, lastError: 'attempt 3 broke', lockedBy: null });
  });

  it('cancels a running job: its signal aborts and its row goes', async () => {
    const { queue, jobs } = await start();
    let context: JobContext | undefined;
    queue.registerHandler(
      TEST_JOB,
      (_data, jobContext) =>
        new Promise<void>((_resolve, reject) => {
          context = jobContext;
          jobContext.signal.addEventListener('abort', () => reject(new Error('aborted')));
        }),
      options,
    );
    await queue.enqueue(TEST_JOB, 'k1', {} as never);
    await until(() => context !== undefined);

    await queue.cancel(TEST_JOB, ['k1']);
    expect(context!.signal.aborted).toBe(true);
    expect(context!.signal.reason).toBe(JOB_CANCELLED);
    expect(await jobs()).toEqual([]);
  });

  it('leaves nothing when the enqueuing transaction rolls back', async () => {
    const { testApp, queue, jobs } = await start({ WORKER_ENABLED: 'false' });
    await expect(
      testApp.dataSource.transaction(async (manager) => {
        await queue.enqueue(TEST_JOB, 'k1', {} as never, { manager });
        throw new Error('the rest of the change failed');
      }),
    ).rejects.toThrow('the rest of the change failed');
    expect(await jobs()).toEqual([]);
  });

  it('hands a running job back at shutdown, and the next process runs it', async () => {
    const first = await start();
    let started = false;
    first.queue.registerHandler(
      TEST_JOB,
      (_data, context) =>
        new Promise<void>((_resolve, reject) => {
          started = true;
          context.signal.addEventListener('abort', () => reject(new Error('stopped')));
        }),
      options,
    );
    await first.queue.enqueue(TEST_JOB, 'k1', {} as never);
    await until(() => started);
    await first.testApp.app.close();

    const second = await start({}, first.testApp.dataDir);
    expect(await second.jobs()).toMatchObject([{ status: 'queued', attempts: 0, lockedBy: null }]);
    const ran: number[] = [];
    second.queue.registerHandler(TEST_JOB, async (_data, context) => void ran.push(context.attempt), options);
    await until(() => ran.length === 1);
    expect(ran).toEqual([1]);
  });

  it('takes over a job whose worker died once its lease runs out', async () => {
    const { testApp, queue, jobs } = await start();
    await queue.enqueue(TEST_JOB, 'k1', {} as never);
    // What a worker that crashed mid-job leaves behind.
    await testApp.dataSource.manager.update(
      Job,
      { name: TEST_JOB },
      {
        status: 'active',
        attempts: 1,
        lockedBy: 'dead-worker',
        lockedUntil: new Date(Date.now() + 300),
      },
    );
    const ran: number[] = [];
    queue.registerHandler(TEST_JOB, async (_data, context) => void ran.push(context.attempt), options);

    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(ran).toEqual([]);
    await until(() => ran.length === 1);
    expect(ran).toEqual([2]);
    await until(async () => (await jobs()).length === 0);
  });

  it('runs every job exactly once while several processes claim from one database at the same time', async () => {
    const processes = [await start({ JOB_POLL_INTERVAL_MS: '10' })];
    for (let i = 1; i < 3; i++)
      processes.push(await start({ JOB_POLL_INTERVAL_MS: '10' }, processes[0].testApp.dataDir));
    const runs: { key: string; process: number }[] = [];
    processes.forEach(({ queue }, process) =>
      queue.registerHandler(
        TEST_JOB,
        async (data) => {
          runs.push({ key: (data as unknown as { key: string }).key, process });
          await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 15));
        },
        { ...options, concurrency: 4 },
      ),
    );
    const keys = Array.from({ length: 60 }, (_, index) => `job-${String(index).padStart(2, '0')}`);
    // One commit makes all of them due at once, for the most contention.
    await processes[0].testApp.dataSource.transaction(async (manager) => {
      for (const key of keys) await processes[0].queue.enqueue(TEST_JOB, key, { key } as never, { manager });
    });

    await until(async () => (await processes[0].jobs()).length === 0, 20_000);
    expect(runs.map((run) => run.key).sort()).toEqual(keys);
    // Every process took part, so the claims really competed.
    expect(new Set(runs.map((run) => run.process)).size).toBe(processes.length);
  });
});
