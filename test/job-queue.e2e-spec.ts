import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BullmqJobQueue } from '../src/jobs/bullmq-job-queue.js';
import { DatabaseJobQueue } from '../src/jobs/database-job-queue.js';
import { JOB_CANCELLED, JobContext } from '../src/jobs/job-queue.js';
import { Job } from '../src/jobs/job.entity.js';
import { jobQueueApps, sleep, TEST_JOB, testJobOptions as options, until } from './helpers/job-queue-test.js';
import { deleteRedisKeys, redisEnv, testRedisReachable } from './helpers/redis.js';

/** What every JobQueue does, on the database queue and, where Redis answers, on BullMQ. */
const queues = [
  { name: DatabaseJobQueue.name, env: (): Record<string, string> => ({ REDIS_URL: '' }) },
  ...((await testRedisReachable(BullmqJobQueue.name)) ? [{ name: BullmqJobQueue.name, env: () => redisEnv() }] : []),
];

describe.each(queues)('$name', ({ name, env }) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'job-queue-'));
  const apps = jobQueueApps(dataDir);
  /** This test's settings: the apps of one test share a Redis prefix. */
  let testEnv: Record<string, string>;
  const start = (extra: Record<string, string> = {}, appDataDir?: string) =>
    apps.start({ ...testEnv, ...extra }, appDataDir);
  beforeEach(() => {
    testEnv = env();
  });
  afterEach(async () => {
    await apps.close();
    if (testEnv.REDIS_PREFIX) await deleteRedisKeys(testEnv.REDIS_PREFIX);
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('is the queue the app runs on', async () => {
    const { queue } = await start();
    expect(queue.constructor.name).toBe(name);
  });

  it('runs a job and removes it when done', async () => {
    const { queue, jobs } = await start();
    const seen: unknown[] = [];
    queue.registerHandler(TEST_JOB, async (data, context) => void seen.push([data, context.attempt]), options);
    await queue.enqueue(TEST_JOB, 'k1', { downloadId: 'one' } as never);

    await until(() => seen.length === 1);
    expect(seen).toEqual([[{ downloadId: 'one' }, 1]]);
    await until(async () => (await jobs()).length === 0);
  });

  it('runs as many jobs at once as the handler registered, no more', async () => {
    const { testApp, queue } = await start();
    let running = 0;
    let most = 0;
    let done = 0;
    queue.registerHandler(
      TEST_JOB,
      async () => {
        most = Math.max(most, ++running);
        await sleep(100);
        running--;
        done++;
      },
      options,
    );
    // One commit makes all six due at once: enqueued one by one, a busy machine can space them more than
    // a job's 100 ms apart, and they would run one at a time.
    await testApp.dataSource.transaction(async (manager) => {
      for (let i = 0; i < 6; i++) await queue.enqueue(TEST_JOB, `k${i}`, {} as never, { manager });
    });

    await until(() => done === 6);
    expect(most).toBe(options.concurrency);
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

    // No relay sweep on BullMQ: the hand-back itself makes the job due again.
    const second = await start({ JOB_RELAY_INTERVAL_MS: '600000' }, first.testApp.dataDir);
    expect(await second.jobs()).toMatchObject([{ status: 'queued', attempts: 0, lockedBy: null }]);
    const ran: number[] = [];
    second.queue.registerHandler(TEST_JOB, async (_data, context) => void ran.push(context.attempt), options);
    // The relay sweep is 10 minutes away, so any wait shorter than that tells the hand-back apart.
    await until(() => ran.length === 1);
    expect(ran).toEqual([1]);
  });

  it('takes over a job whose worker died once its lease runs out', async () => {
    const { testApp, queue, jobs } = await start();
    await queue.enqueue(TEST_JOB, 'k1', {} as never);
    // What a worker that crashed mid-job leaves behind.
    const lockedUntil = new Date(Date.now() + 300);
    await testApp.dataSource.manager.update(
      Job,
      { name: TEST_JOB },
      { status: 'active', attempts: 1, lockedBy: 'dead-worker', lockedUntil },
    );
    const ran: { attempt: number; at: number }[] = [];
    queue.registerHandler(
      TEST_JOB,
      async (_data, context) => void ran.push({ attempt: context.attempt, at: Date.now() }),
      options,
    );

    await until(() => ran.length === 1);
    expect(ran.map(({ attempt }) => attempt)).toEqual([2]);
    // Not while the dead worker's lease held (timed from the lease itself: a fixed sleep is outrun on a busy machine).
    expect(ran[0].at).toBeGreaterThanOrEqual(lockedUntil.getTime());
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
