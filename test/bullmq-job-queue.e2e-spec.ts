import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { BullmqJobQueue } from '../src/jobs/bullmq-job-queue.js';
import { JOB_CANCELLED, JobContext } from '../src/jobs/job-queue.js';
import { Job } from '../src/jobs/job.entity.js';
import { jobQueueApps, sleep, TEST_JOB, testJobOptions as options, until } from './helpers/job-queue-test.js';
import { deleteRedisKeys, newRedisPrefix, redisEnv, TEST_REDIS_URL, testRedisReachable } from './helpers/redis.js';

/** What only the BullMQ queue does: Redis's side of the work, across processes. The rest: job-queue.e2e-spec.ts. */
describe.skipIf(!(await testRedisReachable(BullmqJobQueue.name)))(BullmqJobQueue.name, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bullmq-job-queue-'));
  const apps = jobQueueApps(dataDir);
  const prefixes: string[] = [];
  /** An app on Redis; apps given the same data folder and prefix share the database and the queues. */
  const start = async (env: Record<string, string> = {}, shared: { dataDir?: string; prefix?: string } = {}) => {
    const prefix = shared.prefix ?? newRedisPrefix();
    prefixes.push(prefix);
    const app = await apps.start({ ...redisEnv(prefix), ...env }, shared.dataDir);
    const bullQueue = () => new Queue(TEST_JOB, { connection: { url: TEST_REDIS_URL }, prefix });
    return { ...app, prefix, bullQueue };
  };
  afterEach(async () => {
    await apps.close();
    await Promise.all(prefixes.splice(0).map((prefix) => deleteRedisKeys(prefix)));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('removes the BullMQ job of a job done', async () => {
    const { queue, jobs, bullQueue } = await start();
    let ran = false;
    queue.registerHandler(TEST_JOB, async () => void (ran = true), options);
    await queue.enqueue(TEST_JOB, 'k1', {} as never);
    await until(async () => ran && (await jobs()).length === 0);

    const redisQueue = bullQueue();
    await until(async () => (await redisQueue.getJobCountByTypes('wait', 'delayed', 'active')) === 0);
    await redisQueue.close();
  });

  it('relays a job enqueued in a transaction once it commits, and nothing of one rolled back', async () => {
    const { testApp, queue, bullQueue } = await start({ WORKER_ENABLED: 'false', JOB_RELAY_INTERVAL_MS: '600000' });
    const redisQueue = bullQueue();
    await expect(
      testApp.dataSource.transaction(async (manager) => {
        await queue.enqueue(TEST_JOB, 'rolled-back', {} as never, { manager });
        throw new Error('the rest of the change failed');
      }),
    ).rejects.toThrow('the rest of the change failed');
    await testApp.dataSource.transaction(async (manager) => {
      await queue.enqueue(TEST_JOB, 'k1', {} as never, { manager });
      await sleep(100);
      expect(await redisQueue.getWaitingCount()).toBe(0);
    });
    // The relay sweep is 10 minutes away: whatever comes sooner came from the commit.
    await until(async () => (await redisQueue.getWaitingCount()) === 1);
    await sleep(200);
    const waiting = await redisQueue.getWaiting();
    expect(waiting.map((job) => job.id)).toEqual([
      (await testApp.dataSource.manager.findOneByOrFail(Job, { key: 'k1' })).id,
    ]);
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

  it('takes over the job of a worker that died mid-job (stalled-job recovery) and runs it once more, only after its lease', async () => {
    const api = await start({ WORKER_ENABLED: 'false' });
    api.queue.registerHandler(TEST_JOB, async () => undefined, options);
    // A worker of its own that claims the row as the service's workers do, then dies without a word.
    let leaseEndsAt = 0;
    const doomed = new Worker(
      TEST_JOB,
      async (job) => {
        const lockedUntil = new Date(Date.now() + 1500);
        await api.testApp.dataSource.manager.update(
          Job,
          { id: job.id },
          { status: 'active', attempts: 1, lockedBy: 'doomed-worker', lockedUntil },
        );
        leaseEndsAt = lockedUntil.getTime();
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
    await until(() => leaseEndsAt > 0);
    await doomed.close(true);

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
    // Not while the dead worker's lease held: measured from the lease's end, not from when the test saw
    // the claim (a busy machine can take longer than the margin to get from one to the other).
    expect(ran[0].at).toBeGreaterThanOrEqual(leaseEndsAt);
    expect(await survivor.jobs()).toEqual([]);
  });
});
