import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobQueue } from '../src/jobs/job-queue.js';
import { Job } from '../src/jobs/job.entity.js';
import { sleep, TEST_JOB, testJobOptions as options, until } from './helpers/job-queue-test.js';
import { OwnRedisServer, redisEnv, startOwnRedisServer, testRedisReachable } from './helpers/redis.js';
import { createTestApp, TestApp } from './helpers/test-app.js';

// The test starts a redis-server of its own: the shared one must not be stopped.
describe.skipIf(!(await testRedisReachable('Redis outage')))('A Redis that stops mid-run and comes back empty', () => {
  let redis: OwnRedisServer;
  let testApp: TestApp;
  beforeAll(async () => {
    redis = await startOwnRedisServer();
    testApp = await createTestApp({ JOB_LEASE_MS: '1000', ...redisEnv(undefined, redis.url) });
  });
  afterAll(async () => {
    await testApp?.close();
    await redis?.stop();
  });

  it('loses nothing and runs nothing twice; the API keeps answering reads meanwhile', async () => {
    const queue = testApp.app.get(JobQueue);
    const started = new Map<string, number>();
    const completed = new Map<string, number>();
    const count = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
    queue.registerHandler(
      TEST_JOB,
      async (data) => {
        const { key } = data as unknown as { key: string };
        count(started, key);
        await sleep(300);
        count(completed, key);
      },
      options,
    );
    const keys = Array.from({ length: 8 }, (_, i) => `before-${i}`);
    for (const key of keys) await queue.enqueue(TEST_JOB, key, { key } as never);
    await until(() => completed.size >= 2);

    const readUrl = `${testApp.baseUrl}/voddownload/${randomUUID()}`;
    const answerBefore = (await fetch(readUrl)).status;
    await redis.stop();
    const readStartedAt = Date.now();
    expect((await fetch(readUrl)).status).toBe(answerBefore);
    expect(Date.now() - readStartedAt).toBeLessThan(1000);
    const during = ['during-0', 'during-1'];
    for (const key of during) await queue.enqueue(TEST_JOB, key, { key } as never);
    await sleep(1000);
    await redis.start();

    await until(() => completed.size === keys.length + during.length, 20_000);
    await sleep(1500); // time for any second run to show
    for (const key of [...keys, ...during]) {
      expect({ key, started: started.get(key), completed: completed.get(key) }).toEqual({
        key,
        started: 1,
        completed: 1,
      });
    }
    await until(async () => (await testApp.dataSource.manager.count(Job, { where: { name: TEST_JOB } })) === 0);
  });
});
