import { JOB_NAMES } from '../src/jobs/job-types.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { answerDigestChallenge } from '../src/common/digest-auth.js';
import { RedisConnection } from '../src/jobs/redis-connection.js';
import { VodDownloadService } from '../src/vod-download/vod-download.service.js';
import { deleteRedisKeys, newRedisPrefix, redisEnv, testRedisReachable } from './helpers/redis.js';
import { createTestApp, TestApp } from './helpers/test-app.js';

const DIGEST_USER = { username: 'opencast_system_account', password: 'CHANGE_ME' };
const DIGEST_PATH = '/services/jobs.json';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!(await testRedisReachable(RedisConnection.name)))(
  `${RedisConnection.name}: what processes share`,
  () => {
    const prefix = newRedisPrefix();
    const dataDir = mkdtempSync(join(tmpdir(), 'redis-shared-'));
    // Two processes of one deployment: one database, one Redis.
    const env = {
      ...redisEnv(prefix),
      API_KEYS: 'test-key',
      OPENCAST_DIGEST_USER: DIGEST_USER.username,
      OPENCAST_DIGEST_PASSWORD: DIGEST_USER.password,
      CLEANUP_CRON: '* * * * * *',
    };
    let first: TestApp;
    let second: TestApp;
    beforeAll(async () => {
      first = await createTestApp(env, { dataDir });
      second = await createTestApp(env, { dataDir });
    });
    afterAll(async () => {
      await first?.close();
      await second?.close();
      await deleteRedisKeys(prefix);
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('refuses at one process a Digest header already used at the other', async () => {
      const challenge = await request(first.baseUrl).get(DIGEST_PATH).expect(401);
      const authorization = answerDigestChallenge(
        challenge.headers['www-authenticate'],
        DIGEST_USER,
        'GET',
        DIGEST_PATH,
      )!;
      await request(first.baseUrl).get(DIGEST_PATH).set('Authorization', authorization).expect(200);

      const replayed = await request(second.baseUrl).get(DIGEST_PATH).set('Authorization', authorization).expect(401);
      expect(replayed.headers['www-authenticate']).toMatch(/stale=true/);
      const counted = answerDigestChallenge(challenge.headers['www-authenticate'], DIGEST_USER, 'GET', DIGEST_PATH, 2)!;
      await request(second.baseUrl).get(DIGEST_PATH).set('Authorization', counted).expect(200);
      await request(first.baseUrl).get(DIGEST_PATH).set('Authorization', counted).expect(401);
    });

    it('serves the queue dashboard at /queues only with an API key', async () => {
      const refused = await request(first.baseUrl).get('/queues').expect(401);
      expect(refused.body).toMatchObject({ statusCode: 401, message: expect.stringContaining('API key is required') });
      await request(first.baseUrl).get('/queues/api/queues').set('X-API-Key', 'wrong').expect(401);

      const page = await request(first.baseUrl).get('/queues').set('X-API-Key', 'test-key').expect(200);
      expect(page.headers['content-type']).toMatch(/text\/html/);
      const queues = await request(first.baseUrl)
        .get('/queues/api/queues')
        .set('Authorization', 'Bearer test-key')
        .expect(200);
      // One queue per job kind.
      expect(queues.body.queues.map((queue: { name: string }) => queue.name).sort()).toEqual([...JOB_NAMES].sort());
      expect(JOB_NAMES).toContain('vod-download.process');
    });

    it('runs the cleanup schedule once per tick across both processes', async () => {
      const runs: number[] = [];
      for (const app of [first, second]) {
        vi.spyOn(app.app.get(VodDownloadService), 'deleteExpired').mockImplementation(async () => {
          runs.push(Date.now());
          return 0;
        });
      }
      const from = Date.now();
      await sleep(4_200);
      // The ticks that fell in the window, by the clock: a busy machine stretches the sleep.
      const ticks = Math.floor(Date.now() / 1000) - Math.floor(from / 1000);
      // One run per tick in all, give or take one at either edge (due just before, or still under way); not twice as many.
      expect(runs.length).toBeGreaterThanOrEqual(ticks - 1);
      expect(runs.length).toBeLessThanOrEqual(ticks + 1);
      // Two runs of one tick would come within milliseconds of each other. Not 500 ms: a tick that a
      // busy machine took up late can come well under a second before the next one.
      const sorted = runs.sort((a, b) => a - b);
      for (let i = 1; i < sorted.length; i++) expect(sorted[i] - sorted[i - 1]).toBeGreaterThan(100);
    });
  },
);

describe('REDIS_URL at start', () => {
  it('stops the service with a message naming REDIS_URL, without its password, when Redis cannot be reached', async () => {
    const failure = createTestApp({ REDIS_URL: 'redis://admin:s3cret@127.0.0.1:1' });
    await expect(failure).rejects.toThrow(
      /Cannot reach Redis at REDIS_URL=redis:\/\/admin:\*\*\*@127\.0\.0\.1:1: connect ECONNREFUSED/,
    );
    await expect(failure).rejects.not.toThrow(/s3cret/);
  });

  it('has no queue dashboard without Redis', async () => {
    const app = await createTestApp({ API_KEYS: 'test-key', REDIS_URL: '' });
    try {
      await request(app.baseUrl).get('/queues').set('X-API-Key', 'test-key').expect(404);
    } finally {
      await app.close();
    }
  });
});
