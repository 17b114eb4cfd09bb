import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { BullmqJobQueue } from '../src/jobs/bullmq-job-queue.js';
import { JOB_CANCELLED, JobContext, JobHandlerOptions, JobQueue } from '../src/jobs/job-queue.js';
import { Job } from '../src/jobs/job.entity.js';
import type { JobName } from '../src/jobs/job-types.js';
import { deleteRedisKeys, newRedisPrefix, redisEnv, TEST_REDIS_URL, testRedisReachable } from './helpers/redis.js';
import { createTestApp, TestApp } from './helpers/test-app.js';

// A job name of the tests' own, so that no feature's handler takes these jobs.
const TEST_JOB = 'test.job' as JobName;
const options: JobHandlerOptions = { concurrency: 2, maxAttempts: 3, backoffMs: 50 };

const until = async (condition: () => Promise<boolean> | boolean, timeoutMs = 8000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('Timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!(await testRedisReachable(BullmqJobQueue.name)))(BullmqJobQueue.name, () => {
  const apps: TestApp[] = [];
  const prefixes: string[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'bullmq-job-queue-'));
  /** An app on Redis; apps given the same data folder and prefix share the database and the queues. */
  const start = async (env: Record<string, string> = {}, shared: { dataDir?: string; prefix?: string } = {}) => {
    const prefix = shared.prefix ?? newRedisPrefix();
    prefixes.push(prefix);
    const testApp = await createTestApp(
      { JOB_LEASE_MS: '600', ...redisEnv(prefix), ...env },
      { dataDir: shared.dataDir ?? mkdtempSync(join(dataDir, 'app-')) },
    );
    apps.push(testApp);
    return {
      testApp,
      prefix,
      queue: testApp.app.get(JobQueue),
      jobs: () => testApp.dataSource.manager.find(Job, { where: { name: TEST_JOB } }),
      bullQueue: () => new Queue(TEST_JOB, { connection: { url: TEST_REDIS_URL }, prefix }),
    };
  };
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((testApp) => testApp.close()));
    await Promise.all(prefixes.splice(0).map((prefix) => deleteRedisKeys(prefix)));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('is the queue the app runs on when REDIS_URL is set', async () => {
    const { queue } = await start();
    expect(queue).toBeInstanceOf(BullmqJobQueue);
  });

  it('runs a job through BullMQ and removes its row and its BullMQ job when done', async () => {
    const { queue, jobs, bullQueue } = await start();
    const seen: unknown[] = [];
    queue.registerHandler(TEST_JOB, async (data, context) => void seen.push([data, context.attempt]), options);
    await queue.enqueue(TEST_JOB, 'k1', { downloadId: 'one' } as never);

    await until(() => seen.length === 1);
    expect(seen).toEqual([[{ downloadId: 'one' }, 1]]);
    await until(async () => (await jobs()).length === 0);
    const redisQueue = bullQueue();
    await until(async () => (await redisQueue.getJobCountByTypes('wait', 'delayed', 'active')) === 0);
    await redisQueue.close();
  });

  it('runs as many jobs at once as the handler registered, no more', async () => {
    const { queue } = await start();
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
    for (let i = 0; i < 6; i++) await queue.enqueue(TEST_JOB, `k${i}`, {} as never);

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

  it('leaves nothing, in the database or in Redis, when the enqueuing transaction rolls back', async () => {
    const { testApp, queue, jobs, bullQueue } = await start({ WORKER_ENABLED: 'false' });
    await expect(
      testApp.dataSource.transaction(async (manager) => {
        await queue.enqueue(TEST_JOB, 'k1', {} as never, { manager });
        throw new Error('the rest of the change failed');
      }),
    ).rejects.toThrow('the rest of the change failed');
    await sleep(400); // two sweeps
    expect(await jobs()).toEqual([]);
    const redisQueue = bullQueue();
    expect(await redisQueue.getJobCounts()).toMatchObject({ waiting: 0, delayed: 0, active: 0 });
    await redisQueue.close();
  });

  it('relays a job enqueued in a transaction once it commits', async () => {
    const { testApp, queue, bullQueue } = await start({ WORKER_ENABLED: 'false', JOB_RELAY_INTERVAL_MS: '600000' });
    const redisQueue = bullQueue();
    await testApp.dataSource.transaction(async (manager) => {
      await queue.enqueue(TEST_JOB, 'k1', {} as never, { manager });
      await sleep(100);
      expect(await redisQueue.getWaitingCount()).toBe(0);
    });
    await until(async () => (await redisQueue.getWaitingCount()) === 1, 2000);
    const [waiting] = await redisQueue.getWaiting();
    expect(waiting.id).toBe((await testApp.dataSource.manager.findOneByOrFail(Job, { key: 'k1' })).id);
    await redisQueue.close();
  });

  it('aborts a job running in another process within 2 s of its cancellation', async () => {
    // A long lease: only the published cancellation, not the lease renewal, can be this quick.
    const worker = await start({ JOB_LEASE_MS: '60000' });
    const api = await start(
      { JOB_LEASE_MS: '60000', WORKER_ENABLED: 'false' },
      { dataDir: worker.testApp.dataDir, prefix: worker.prefix },
    );
    let context: JobContext | undefined;
    let abortedAt = 0;
    worker.queue.registerHandler(
      TEST_JOB,
      (_data, jobContext) =>
        new Promise<void>((_resolve, reject) => {
          context = jobContext;
          jobContext.signal.addEventListener('abort', () => {
            abortedAt = Date.now();
            reject(new Error('aborted'));
          });
        }),
      options,
    );
    api.queue.registerHandler(TEST_JOB, async () => undefined, options);
    await api.queue.enqueue(TEST_JOB, 'k1', {} as never);
    await until(() => context !== undefined);

    const cancelledAt = Date.now();
    await api.queue.cancel(TEST_JOB, ['k1']);
    await until(() => abortedAt > 0, 2000);
    expect(abortedAt - cancelledAt).toBeLessThan(2000);
    expect(context!.signal.reason).toBe(JOB_CANCELLED);
    expect(await api.jobs()).toEqual([]);
  });

  it('hands a running job back at shutdown, and another process runs it at once', async () => {
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

    const second = await start(
      { JOB_RELAY_INTERVAL_MS: '600000' },
      { dataDir: first.testApp.dataDir, prefix: first.prefix },
    );
    expect(await second.jobs()).toMatchObject([{ status: 'queued', attempts: 0, lockedBy: null }]);
    const ran: number[] = [];
    second.queue.registerHandler(TEST_JOB, async (_data, context) => void ran.push(context.attempt), options);
    await until(() => ran.length === 1, 3000);
    expect(ran).toEqual([1]);
  });

  it('takes over the job of a worker that died mid-job (stalled-job recovery) and runs it once more, only after its lease', async () => {
    const api = await start({ WORKER_ENABLED: 'false' });
    api.queue.registerHandler(TEST_JOB, async () => undefined, options);
    // A worker of its own that claims the row as the service's workers do, then dies without a word.
    let claimed = false;
    const doomed = new Worker(
      TEST_JOB,
      async (job) => {
        await api.testApp.dataSource.manager.update(
          Job,
          { id: job.id },
          { status: 'active', attempts: 1, lockedBy: 'doomed-worker', lockedUntil: new Date(Date.now() + 1500) },
        );
        claimed = true;
        await new Promise(() => undefined);
      },
      {
        connection: { url: TEST_REDIS_URL, maxRetriesPerRequest: null },
        prefix: api.prefix,
        lockDuration: 600,
        stalledInterval: 600,
      },
    );
    await api.queue.enqueue(TEST_JOB, 'k1', {} as never);
    await until(() => claimed);
    await doomed.close(true);
    const diedAt = Date.now();

    const survivor = await start({}, { dataDir: api.testApp.dataDir, prefix: api.prefix });
    const ran: Array<{ attempt: number; at: number }> = [];
    survivor.queue.registerHandler(
      TEST_JOB,
      async (_data, context) => void ran.push({ attempt: context.attempt, at: Date.now() }),
      options,
    );
    await until(() => ran.length === 1, 8000);
    await sleep(1500);
    expect(ran.map(({ attempt }) => attempt)).toEqual([2]);
    expect(ran[0].at - diedAt).toBeGreaterThanOrEqual(1400); // not while the dead worker's lease held
    expect(await survivor.jobs()).toEqual([]);
  });
});
