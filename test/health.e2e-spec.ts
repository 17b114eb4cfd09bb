import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthController } from '../src/health/health.controller.js';
import { redisEnv, startOwnRedisServer, testRedisReachable } from './helpers/redis.js';
import { createTestApp, TestApp } from './helpers/test-app.js';

describe(HealthController.name, () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp({ API_KEYS: 'secret', WORKER_ENABLED: 'false' });
  });
  afterAll(() => testApp.close());

  it('answers 200 while the database answers, without an API key', async () => {
    await request(testApp.baseUrl).get('/health').expect(200, { status: 'ok' });
  });

  it('/health/live answers while the process does; /health/ready shows each check up', async () => {
    await request(testApp.baseUrl).get('/health/live').expect(200, { status: 'ok', info: {}, error: {}, details: {} });
    const { body } = await request(testApp.baseUrl).get('/health/ready').expect(200);
    expect(body.status).toBe('ok');
    // Redis is checked too where the app runs its jobs on BullMQ (the postgres project's stack).
    const redis = testApp.config.redisUrl ? ['redis'] : [];
    expect(Object.keys(body.details)).toEqual(['database', 'dataDir', 'ffmpeg', ...redis]);
    for (const check of Object.values(body.details)) expect(check).toMatchObject({ status: 'up' });
    expect(body.details.dataDir.freeBytes).toBeGreaterThanOrEqual(testApp.config.minFreeDiskBytes);
    expect(body.details.ffmpeg.versions).toEqual([
      expect.stringMatching(/^ffmpeg version /),
      expect.stringMatching(/^ffprobe version /),
    ]);
  });

  it('answers 503 when the database does not', async () => {
    await testApp.dataSource.destroy();
    const response = await request(testApp.baseUrl).get('/health').expect(503);
    // The driver's error text (file names, hosts) stays in the log.
    expect(response.body).toEqual({
      statusCode: 503,
      message: 'The database does not answer',
      error: 'Service Unavailable',
    });
    const ready = await request(testApp.baseUrl).get('/health/ready').expect(503);
    expect(ready.body.status).toBe('error');
    // What failed, in words; the driver's error stays in the log.
    expect(Object.keys(ready.body.error)).toEqual(['database']);
    expect(ready.body.error.database).toMatchObject({ status: 'down', message: 'The database does not answer' });
    expect(ready.body.info).toMatchObject({ dataDir: { status: 'up' }, ffmpeg: { status: 'up' } });
    await request(testApp.baseUrl).get('/health/live').expect(200);
  });
});

describe(`${HealthController.name}: readiness`, () => {
  const apps: TestApp[] = [];
  afterAll(async () => {
    for (const app of apps) await app.close();
  });

  it('is 503 when DATA_DIR has less free space than MIN_FREE_DISK_BYTES, naming both', async () => {
    const app = await createTestApp({ MIN_FREE_DISK_BYTES: String(Number.MAX_SAFE_INTEGER), WORKER_ENABLED: 'false' });
    apps.push(app);
    const { body } = await request(app.baseUrl).get('/health/ready').expect(503);
    expect(body.error.dataDir).toMatchObject({ status: 'down' });
    expect(body.error.dataDir.message).toMatch(/^DATA_DIR has \d+ bytes free, less than MIN_FREE_DISK_BYTES=/);
    expect(body.info).toMatchObject({ database: { status: 'up' }, ffmpeg: { status: 'up' } });
  });

  it('is 503 when DATA_DIR is gone (a volume that went away)', async () => {
    const app = await createTestApp({ WORKER_ENABLED: 'false' });
    apps.push(app);
    // Permissions cannot stop root, who runs these tests in CI: a file where the directory was can.
    rmSync(app.dataDir, { recursive: true, force: true });
    writeFileSync(app.dataDir, '');
    const { body } = await request(app.baseUrl).get('/health/ready').expect(503);
    expect(body.error.dataDir).toMatchObject({ status: 'down', message: 'DATA_DIR is not writable' });
    rmSync(app.dataDir);
    mkdirSync(app.dataDir);
  });

  it('is 503 when ffprobe does not run, naming the setting; a worker-only process answers it too', async () => {
    // An API-only process starts without ffmpeg (only workers check at start), so readiness is where it shows.
    const api = await createTestApp({ WORKER_ENABLED: 'false', FFPROBE_PATH: '/nonexistent/ffprobe' });
    apps.push(api);
    const { body } = await request(api.baseUrl).get('/health/ready').expect(503);
    expect(body.error.ffmpeg.status).toBe('down');
    expect(body.error.ffmpeg.message).toContain('FFPROBE_PATH');
    const worker = await createTestApp({ API_ENABLED: 'false' }, { dataDir: api.dataDir });
    apps.push(worker);
    await request(worker.baseUrl).get('/health/ready').expect(200);
    await request(worker.baseUrl).get('/health/live').expect(200);
  });
});

describe.runIf(await testRedisReachable(`${HealthController.name}: Redis readiness`))(
  `${HealthController.name}: Redis readiness`,
  () => {
    it('checks Redis when REDIS_URL is set: up while it answers, 503 naming it once it is gone', async () => {
      const redis = await startOwnRedisServer();
      const app = await createTestApp({ WORKER_ENABLED: 'false', ...redisEnv(undefined, redis.url) });
      try {
        const { body } = await request(app.baseUrl).get('/health/ready').expect(200);
        expect(body.details.redis).toMatchObject({ status: 'up' });

        await redis.stop();
        await expect
          .poll(async () => (await request(app.baseUrl).get('/health/ready')).body.error?.redis, { timeout: 15_000 })
          .toMatchObject({ status: 'down' });
        await request(app.baseUrl).get('/health/live').expect(200);
      } finally {
        await redis.start();
        await app.close();
        await redis.stop();
      }
    });
  },
);
