import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUBLISHED_FILE_TTL_MS } from '../src/vod-download/published-file-cache.js';
import { VodDownload } from '../src/vod-download/vod-download.entity.js';
import { createDownload, registerEvent } from './helpers/factories.js';
import { binary } from './helpers/binary-body.js';
import { generateClip } from './helpers/media.js';
import { dropTestDatabase } from './helpers/test-database.js';
import { createTestApp, TestApp } from './helpers/test-app.js';

/** Node sending downloads itself (no DOWNLOAD_ACCEL_REDIRECT): what it remembers, and for how long. */
describe('Serving downloads without nginx', () => {
  let testApp: TestApp;
  let eventId: string;
  // Below a dot folder, as ~/.local/share is: only the download's own path is checked for dotfiles.
  const outer = mkdtempSync(join(tmpdir(), 'media-delivery-test-'));
  const dataDir = join(outer, '.local', 'data');
  beforeAll(async () => {
    // No worker: the test completes downloads in the database itself, as another process's worker would.
    testApp = await createTestApp({ WORKER_ENABLED: 'false' }, { dataDir });
    generateClip(join(testApp.config.mediaRoot, 'clip.mp4'));
    eventId = (await registerEvent(testApp.baseUrl, { sourceUrl: 'clip.mp4', startTime: null, duration: 2 })).id;
  });
  afterAll(async () => {
    await testApp?.close();
    rmSync(outer, { recursive: true, force: true });
    await dropTestDatabase(dataDir);
  });

  const downloads = () => testApp.dataSource.getRepository(VodDownload);
  /** A completed download whose file holds `content`; returns it and its link's path. */
  async function completedDownload(content: string | Buffer) {
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

  it('sends a file of several read chunks whole and by any range, and answers HEAD, 416 and If-Range', async () => {
    const size = 2.5 * 1024 * 1024;
    const content = randomBytes(size);
    const { link } = await completedDownload(content);
    const get = (range?: string) => {
      const call = request(testApp.baseUrl).get(link).buffer(true).parse(binary);
      return range ? call.set('Range', range) : call;
    };
    expect((await get().expect(200)).body.equals(content)).toBe(true);
    // Across the 1 MiB boundary of the reads.
    const across = await get('bytes=1048570-2097160').expect(206);
    expect(across.headers['content-range']).toBe(`bytes 1048570-2097160/${size}`);
    expect(across.body.equals(content.subarray(1048570, 2097161))).toBe(true);
    expect((await get('bytes=-10').expect(206)).body.equals(content.subarray(size - 10))).toBe(true);
    expect((await get('bytes=2621000-').expect(206)).body.equals(content.subarray(2621000))).toBe(true);
    const head = await request(testApp.baseUrl).head(link).expect(200);
    expect(head.headers['content-length']).toBe(String(size));
    const unsatisfiable = await get(`bytes=${size}-`).expect(416);
    expect(unsatisfiable.headers['content-range']).toBe(`bytes */${size}`);
    expect(unsatisfiable.headers['content-disposition']).toBeUndefined();
    // The file changed since the client's copy: the whole file, not the range.
    const stale = await get('bytes=0-9').set('If-Range', 'Tue, 01 Jan 2019 00:00:00 GMT').expect(200);
    expect(stale.body.equals(content)).toBe(true);
  });

  it('sends an empty file as an empty answer', async () => {
    const { link } = await completedDownload('');
    const empty = await request(testApp.baseUrl).get(link).buffer(true).parse(binary).expect(200);
    expect(empty.headers['content-length']).toBe('0');
    expect(empty.body.length).toBe(0);
  });

  it('answers 404 for a completed download whose file is gone from the disk', async () => {
    const { link, file } = await completedDownload('gone');
    unlinkSync(file);
    const answer = await request(testApp.baseUrl).get(link).expect(404);
    // The service's JSON refusal, not an attachment.
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(answer.headers['content-disposition']).toBeUndefined();
    expect(answer.body.message).toMatch(/download/i);
  });

  it('closes the file when the client goes away part-way', async () => {
    // Larger than loopback's socket buffers, so the answer is still being sent when the client leaves.
    const { link, file } = await completedDownload(randomBytes(48 * 1024 * 1024));
    const openOnFile = () =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`) === file;
        } catch {
          return false;
        }
      }).length;
    await new Promise<void>((resolve, reject) => {
      const call = get(`${testApp.baseUrl}${link}`, (response) => {
        response.once('data', () => {
          try {
            expect(openOnFile()).toBe(1);
          } catch (error) {
            reject(error);
          }
          call.destroy();
          resolve();
        });
      });
      call.on('error', () => undefined);
    });
    await expect.poll(openOnFile, { timeout: 5_000, interval: 50 }).toBe(0);
    // And the service goes on serving it.
    await request(testApp.baseUrl).head(link).expect(200);
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
