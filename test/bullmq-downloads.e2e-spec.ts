import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BullmqJobQueue } from '../src/jobs/bullmq-job-queue.js';
import { JobQueue } from '../src/jobs/job-queue.js';
import { registerEvent } from './helpers/factories.js';
import { outboxMessages } from './helpers/outbox.js';
import {
  ffprobe,
  generateSources,
  serveDirectory,
  SOURCE_SECONDS,
  StaticServer,
  toolsReading,
} from './helpers/media.js';
import { deleteRedisKeys, newRedisPrefix, redisEnv, testRedisReachable } from './helpers/redis.js';
import { createTestApp, TestApp } from './helpers/test-app.js';

const EVENT_START = '2018-10-10T14:00:00.000Z';

/** An API process and a worker process on one database and one Redis, as deployed. */
describe.skipIf(!(await testRedisReachable('VOD downloads on BullMQ')))('VOD downloads on BullMQ', () => {
  let mediaRoot: string;
  let origin: StaticServer;
  let dataDir: string;
  const prefix = newRedisPrefix();
  let apiApp: TestApp;
  let workerApp: TestApp;

  beforeAll(async () => {
    mediaRoot = mkdtempSync(join(tmpdir(), 'bullmq-media-'));
    generateSources(join(mediaRoot, 'src'));
    origin = await serveDirectory(join(mediaRoot, 'src'));
    dataDir = mkdtempSync(join(tmpdir(), 'bullmq-downloads-'));
    // The default lease (30 s): a cancellation that arrives within 2 s came through Redis.
    const env = { MEDIA_ROOT: mediaRoot, ALLOWED_SOURCE_HOSTS: new URL(origin.url).host, ...redisEnv(prefix) };
    apiApp = await createTestApp({ ...env, WORKER_ENABLED: 'false' }, { dataDir });
    workerApp = await createTestApp(env, { dataDir });
  });
  afterAll(async () => {
    await apiApp?.close();
    await workerApp?.close();
    await origin?.close();
    await deleteRedisKeys(prefix);
    rmSync(mediaRoot, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  const waitFor = async (id: string, statuses: string[]) => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const response = await request(apiApp.baseUrl).get(`/voddownload/${id}`);
      if (response.status === 200 && statuses.includes(response.body.status)) return response.body;
      if (Date.now() > deadline) throw new Error(`Download ${id} is ${JSON.stringify(response.body)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const createDownload = async (sourceUrl: string, clip: Record<string, unknown>) => {
    const { id: eventId } = await registerEvent(apiApp.baseUrl, {
      sourceUrl,
      startTime: EVENT_START,
      duration: SOURCE_SECONDS,
    });
    const response = await request(apiApp.baseUrl)
      .post('/voddownload')
      .send({ emailAddress: 'viewer@example.com', downloadClips: [{ eventId, ...clip }] })
      .expect(201);
    return response.body;
  };

  it('runs on BullMQ in both processes', () => {
    expect(apiApp.app.get(JobQueue)).toBeInstanceOf(BullmqJobQueue);
    expect(workerApp.app.get(JobQueue)).toBeInstanceOf(BullmqJobQueue);
  });

  it('completes a download accepted by the API process in the worker process, with one ready e-mail', async () => {
    const created = await createDownload('src/multi.mp4', { start: '00:00:02', end: '00:00:05' });
    const done = await waitFor(created.id, ['completed', 'failed']);

    expect(done).toMatchObject({ status: 'completed', progress: 100 });
    expect(Number(ffprobe(join(dataDir, done.downloadPath)).format.duration)).toBeCloseTo(3, 0);
    await expect.poll(() => outboxMessages(dataDir, done.contentId), { timeout: 10_000 }).toEqual(['download-ready']);
  });

  it('stops ffmpeg in the worker process within 2 s of a DELETE at the API process', async () => {
    origin.closeGate();
    try {
      const created = await createDownload(`${origin.url}/hls/master.m3u8`, { start: '00:00:01', end: '00:00:05' });
      await waitFor(created.id, ['processing']);
      await expect.poll(() => toolsReading(origin.url).length, { timeout: 10_000 }).toBeGreaterThan(0);

      await request(apiApp.baseUrl).delete(`/voddownload/${created.id}`).expect(410);
      const deletedAt = Date.now();
      await expect.poll(() => toolsReading(origin.url), { timeout: 2_000, interval: 20 }).toEqual([]);
      expect(Date.now() - deletedAt).toBeLessThan(2_000);
      await expect.poll(() => existsSync(join(dataDir, 'work', created.id)), { timeout: 5_000 }).toBe(false);
    } finally {
      origin.openGate();
    }
  });
});
