import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUBLISHED_FILE_TTL_MS } from '../src/vod-download/published-file-cache.js';
import { VodDownload } from '../src/vod-download/vod-download.entity.js';
import { createDownload, registerEvent } from './helpers/factories.js';
import { generateClip } from './helpers/media.js';
import { createTestApp, TestApp } from './helpers/test-app.js';

/** Node sending downloads itself (no DOWNLOAD_ACCEL_REDIRECT): what it remembers, and for how long. */
describe('Serving downloads without nginx', () => {
  let testApp: TestApp;
  let eventId: string;
  beforeAll(async () => {
    // No worker: the test completes downloads in the database itself, as another process's worker would.
    testApp = await createTestApp({ WORKER_ENABLED: 'false' });
    generateClip(join(testApp.config.mediaRoot, 'clip.mp4'));
    eventId = (await registerEvent(testApp.baseUrl, { sourceUrl: 'clip.mp4', startTime: null, duration: 2 })).id;
  });
  afterAll(() => testApp?.close());

  const downloads = () => testApp.dataSource.getRepository(VodDownload);
  /** A completed download whose file holds `content`; returns it and its link's path. */
  async function completedDownload(content: string) {
    const created = await createDownload(testApp.baseUrl, eventId, { downloadClips: [{ eventId }] });
    const file = join(testApp.dataDir, created.downloadPath);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
    await downloads().update(created.id, { status: 'completed', progress: 100, completionDate: testApp.clock.now() });
    return { id: created.id as string, link: `/${created.downloadPath}`, file };
  }

  it('sends the file in full and in parts, as an attachment with nosniff', async () => {
    const { link } = await completedDownload('0123456789');
    const whole = await request(testApp.baseUrl).get(link).buffer(true).expect(200);
    expect(whole.body.toString()).toBe('0123456789');
    expect(whole.headers['content-type']).toBe('video/mp4');
    expect(whole.headers['content-disposition']).toMatch(/^attachment; filename=/);
    expect(whole.headers['x-content-type-options']).toBe('nosniff');
    expect(whole.headers['x-accel-redirect']).toBeUndefined();
    const part = await request(testApp.baseUrl).get(link).set('Range', 'bytes=2-4').buffer(true).expect(206);
    expect(part.body.toString()).toBe('234');
  });

  it('trusts a file found valid for PUBLISHED_FILE_TTL_MS without asking the database, then asks again', async () => {
    const { id, link } = await completedDownload('cached');
    // Held still: on a busy machine the steps between the two GETs could outlast the TTL themselves.
    testApp.clock.hold();
    try {
      await request(testApp.baseUrl).get(link).expect(200);
      // Another process retries it: the row changes, this process is not told.
      await downloads().update(id, { status: 'queued', completionDate: null });
      await request(testApp.baseUrl).get(link).expect(200);
      testApp.clock.advance(PUBLISHED_FILE_TTL_MS);
      await request(testApp.baseUrl).get(link).expect(404);
    } finally {
      testApp.clock.release();
    }
  });

  it('forgets a file at once when this process retries or deletes its download', async () => {
    const retried = await completedDownload('retried');
    await request(testApp.baseUrl).get(retried.link).expect(200);
    await request(testApp.baseUrl).get(`/voddownload/retry/${retried.id}`).expect(200);
    await request(testApp.baseUrl).get(retried.link).expect(404);
    // Gone from the disk as well, for nginx (deploy/nginx.conf), which sends files from there.
    expect(existsSync(retried.file)).toBe(false);

    const deleted = await completedDownload('deleted');
    await request(testApp.baseUrl).get(deleted.link).expect(200);
    await request(testApp.baseUrl).delete(`/voddownload/${deleted.id}`).expect(410);
    await request(testApp.baseUrl).get(deleted.link).expect(404);
  });
});
