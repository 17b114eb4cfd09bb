import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDownload, registerEvent } from './helpers/factories.js';
import { generateClip } from './helpers/media.js';
import { createTestApp, TestApp } from './helpers/test-app.js';

describe('API-only and worker-only processes on one data directory', () => {
  let api: TestApp;
  let worker: TestApp;
  beforeAll(async () => {
    api = await createTestApp({ WORKER_ENABLED: 'false' });
    worker = await createTestApp({ API_ENABLED: 'false' }, { dataDir: api.dataDir });
    generateClip(join(api.config.mediaRoot, 'clip.mp4'));
  });
  afterAll(async () => {
    await worker.close();
    await api.close();
  });

  it('the worker-only process answers /health and nothing else', async () => {
    await request(worker.baseUrl).get('/health').expect(200, { status: 'ok' });
    for (const path of ['/voddownload', '/event', '/docs', '/docs-json', '/static/x', '/services/jobs.json']) {
      const response = await request(worker.baseUrl).get(path).expect(404);
      expect(response.body.message).toContain('worker-only');
    }
  });

  it('a download accepted by the API process is cut by the worker process and served by the API', async () => {
    const event = await registerEvent(api.baseUrl, { sourceUrl: 'clip.mp4', startTime: null, duration: 2 });
    const download = await createDownload(api.baseUrl, event.id, { downloadClips: [{ eventId: event.id }] });
    // The API process runs no jobs: it stays queued until the worker takes it.
    expect(download.status).toBe('queued');

    await expect
      .poll(async () => (await request(api.baseUrl).get(`/voddownload/${download.id}`)).body.status, {
        timeout: 30_000,
        interval: 100,
      })
      .toBe('completed');
    const { body } = await request(api.baseUrl).get(`/voddownload/${download.id}`).expect(200);
    await request(api.baseUrl).get(new URL(body.downloadUrl).pathname).expect(200).expect('Content-Type', 'video/mp4');
  });
});
