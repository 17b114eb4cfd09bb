import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VodDownloadProcessor } from '../src/vod-download/vod-download.processor.js';
import { registerEvent } from './helpers/factories.js';
import {
  frameBytes,
  generateSources,
  meanDifference,
  serveDirectory,
  SOURCE_SECONDS,
  StaticServer,
  TestSources,
} from './helpers/media.js';
import { VodDownloadClip } from '../src/vod-download/vod-download-clip.entity.js';
import { createTestApp, TestApp } from './helpers/test-app.js';

type Download = Record<string, any>;

const T0 = Date.parse('2018-10-10T14:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

/** What the worker is given: each clip's own event and offsets, stored with the download. */
describe(`${VodDownloadProcessor.name} (clips stored with the download)`, () => {
  let mediaRoot: string;
  let sources: TestSources;
  let origin: StaticServer;
  let testApp: TestApp;

  beforeAll(async () => {
    mediaRoot = mkdtempSync(join(tmpdir(), 'media-root-'));
    sources = generateSources(join(mediaRoot, 'src'));
    origin = await serveDirectory(join(mediaRoot, 'src'));
    testApp = await createTestApp({
      MEDIA_ROOT: mediaRoot,
      ALLOWED_SOURCE_HOSTS: new URL(origin.url).host,
      WORKER_CONCURRENCY: '2',
      // Links signed for nginx: the service alone serves them as any link.
      DOWNLOAD_LINK_SECRET: 'c2lnbmVkLWxpbmtzLWZvci1uZ2lueC1vbmx5LXRlc3Q=',
    });
  });

  afterAll(async () => {
    await testApp?.close();
    await origin?.close();
    rmSync(mediaRoot, { recursive: true, force: true });
  });

  const api = () => request(testApp.baseUrl);
  const event = (sourceUrl: string, startSeconds = 0) =>
    registerEvent(testApp.baseUrl, { sourceUrl, startTime: at(startSeconds), duration: SOURCE_SECONDS });

  async function download(clips: Record<string, unknown>[], overrides: Record<string, unknown> = {}) {
    const response = await api()
      .post('/voddownload')
      .send({ emailAddress: 'viewer@example.com', downloadClips: clips, ...overrides })
      .expect(201);
    return response.body as Download;
  }

  async function finished(id: string): Promise<Download> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const response = await api().get(`/voddownload/${id}`);
      if (response.status === 200 && ['completed', 'failed'].includes(response.body.status)) return response.body;
      if (Date.now() > deadline) throw new Error(`Download ${id} is ${JSON.stringify(response.body)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('places ISO instants against the clip’s own event when two events share a source', async () => {
    // One recording registered twice, the second with its media time 0 two seconds earlier.
    const first = await event('src/multi.mp4', 0);
    const second = await event('src/multi.mp4', -2);
    const done = await finished(
      (
        await download([
          { eventId: first.id, start: at(0), end: at(2), isMasterClip: true },
          // Media time 4 to 6 of the source; placed against the master event it would be 2 to 4.
          { eventId: second.id, start: at(2), end: at(4) },
        ])
      ).id,
    );

    expect(done.failureReason).toBeNull();
    const file = join(testApp.dataDir, done.downloadPath);
    const secondClipStart = frameBytes(file, 2.05);
    expect(meanDifference(secondClipStart, frameBytes(sources.multi, 4.05))).toBeLessThan(
      meanDifference(secondClipStart, frameBytes(sources.multi, 2.05)),
    );
  });

  it('retries a download whose event was deleted', async () => {
    // A source no other event has, so that nothing else could place the clip's instants.
    copyFileSync(sources.multi, join(mediaRoot, 'src/retried.mp4'));
    const recording = await event('src/retried.mp4');
    const done = await finished((await download([{ eventId: recording.id, start: at(2), end: at(4) }])).id);
    expect(done.status).toBe('completed');

    await api().delete(`/event/${recording.id}`).expect(204);
    await api().get(`/voddownload/retry/${done.id}`).expect(200);
    const again = await finished(done.id);

    expect(again.failureReason).toBeNull();
    expect(again.status).toBe('completed');
    expect(existsSync(join(testApp.dataDir, again.downloadPath))).toBe(true);
  });

  it('still places the clips of a download created before they were stored, by looking the event up by source', async () => {
    const recording = await event('src/multi.mp4');
    const done = await finished((await download([{ eventId: recording.id, start: at(2), end: at(4) }])).id);
    await testApp.dataSource.manager.delete(VodDownloadClip, { downloadId: done.id });

    await api().get(`/voddownload/retry/${done.id}`).expect(200);
    const again = await finished(done.id);

    expect(again.failureReason).toBeNull();
    const file = join(testApp.dataDir, again.downloadPath);
    expect(meanDifference(frameBytes(file, 0.05), frameBytes(sources.multi, 2.05))).toBeLessThan(
      meanDifference(frameBytes(file, 0.05), frameBytes(sources.multi, 0.05)),
    );
  });

  it('accepts a content id with any characters, and publishes it in a folder of its own behind a working link', async () => {
    const contentId = 'Sitzung 1: Grüße + "mehr"/../é';
    const recording = await event('src/multi.mp4');
    const done = await finished(
      (await download([{ eventId: recording.id, start: at(0), end: at(2) }], { contentId, mp4Filename: 'clip.mp4' }))
        .id,
    );

    expect(done.status).toBe('completed');
    expect(done.contentId).toBe(contentId);
    expect(done.downloadPath).toBe(
      'downloads/Sitzung~201~3A~20Gr~C3~BC~C3~9Fe~20~2B~20~22mehr~22~2F..~2F~C3~A9/clip.mp4',
    );
    expect(readdirSync(join(testApp.dataDir, 'downloads'))).toContain(done.downloadPath.split('/')[1]);
    // The path needs no percent-encoding: it is the path nginx signs and compares, as it stands.
    expect(new URL(done.downloadUrl).pathname).toBe(`/signed/${done.downloadPath}`);
    expect(new URL(done.downloadUrl).search).toMatch(/^\?expires=\d+&md5=[\w-]{22}$/);
    const served = await request(done.downloadUrl).get('').buffer(true).expect(200);
    expect(Buffer.compare(served.body as Buffer, readFileSync(join(testApp.dataDir, done.downloadPath)))).toBe(0);
    const found = await api()
      .get(`/voddownload/contentid?id=${encodeURIComponent(contentId)}`)
      .expect(200);
    expect(found.body.id).toBe(done.id);

    await api()
      .delete(`/voddownload/contentid?id=${encodeURIComponent(contentId)}`)
      .expect(410);
    expect(existsSync(join(testApp.dataDir, done.downloadPath, '..'))).toBe(false);
    await request(done.downloadUrl).get('').expect(404);
  });

  it('tells each of two downloads running at once only what was refused to it', async () => {
    const elsewhere = `${origin.url.replace('127.0.0.1', 'localhost')}/hls`;
    const variant = (uri: string) => `#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=150000,RESOLUTION=320x180\n${uri}\n`;
    writeFileSync(join(sources.hlsDir, 'to-elsewhere.m3u8'), variant(`${elsewhere}/hi.m3u8`));
    writeFileSync(join(sources.hlsDir, 'to-outside.m3u8'), variant('/etc/outside/hi.m3u8'));
    const remote = await event(`${origin.url}/hls/to-elsewhere.m3u8`);
    const local = await event('src/hls/to-outside.m3u8');

    const [toRemote, toLocal] = await Promise.all([
      download([{ eventId: remote.id }]),
      download([{ eventId: local.id }]),
    ]);
    const [remoteFailed, localFailed] = await Promise.all([finished(toRemote.id), finished(toLocal.id)]);

    expect(remoteFailed.status).toBe('failed');
    expect(remoteFailed.failureReason).toContain(`${elsewhere}/hi.m3u8: host not in ALLOWED_SOURCE_HOSTS`);
    expect(remoteFailed.failureReason).not.toContain('not a file under MEDIA_ROOT');
    expect(localFailed.status).toBe('failed');
    expect(localFailed.failureReason).toMatch(/Refused by the source rules: .*hi\.m3u8: not a file under MEDIA_ROOT/);
    expect(localFailed.failureReason).not.toContain('ALLOWED_SOURCE_HOSTS');
  });
});
