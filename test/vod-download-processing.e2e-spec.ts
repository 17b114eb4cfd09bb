import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Job } from '../src/jobs/job.entity.js';
import { SourceProxy } from '../src/media/source-proxy.js';
import { DownloadRenderer } from '../src/vod-download/download-renderer.js';
import { VodDownload } from '../src/vod-download/vod-download.entity.js';
import { VodDownloadProcessor } from '../src/vod-download/vod-download.processor.js';
import { registerEvent } from './helpers/factories.js';
import { outboxMessages } from './helpers/outbox.js';
import {
  ffprobe,
  frameBytes,
  generateSources,
  isFastStart,
  meanDifference,
  serveDirectory,
  SOURCE_SECONDS,
  StaticServer,
  TestSources,
  toolsReading,
  videoDecodeTimes,
} from './helpers/media.js';
import { createTestApp, TestApp } from './helpers/test-app.js';
import { openTestDatabase } from './helpers/test-database.js';

const SEED_FILTER = '(type=="audio"&&systemLanguage=="eng")||(type=="video"&&DisplayWidth==160&&DisplayHeight==90)';
const EVENT_START = '2018-10-10T14:00:00.000Z';

type Download = Record<string, any>;

describe(VodDownloadProcessor.name, () => {
  let mediaRoot: string;
  let sources: TestSources;
  let origin: StaticServer;
  let testApp: TestApp;
  let env: Record<string, string>;
  const callbackBodies: Download[] = [];
  let callbackServer: Server;
  let callbackUrl: string;

  beforeAll(async () => {
    mediaRoot = mkdtempSync(join(tmpdir(), 'media-root-'));
    sources = generateSources(join(mediaRoot, 'src'));
    origin = await serveDirectory(join(mediaRoot, 'src'));
    let callbackCalls = 0;
    callbackServer = createServer((req, res) => {
      let body = '';
      req
        .on('data', (chunk) => (body += chunk))
        .on('end', () => {
          // The first call fails, so the callback has to be retried.
          if (callbackCalls++ === 0) return void res.writeHead(500).end();
          callbackBodies.push(JSON.parse(body));
          res.writeHead(204).end();
        });
    });
    await new Promise<void>((resolve) => callbackServer.listen(0, '127.0.0.1', resolve));
    callbackUrl = `http://127.0.0.1:${(callbackServer.address() as AddressInfo).port}/hook`;
    env = {
      MEDIA_ROOT: mediaRoot,
      ALLOWED_SOURCE_HOSTS: new URL(origin.url).host,
      CALLBACK_ALLOWED_HOSTS: new URL(callbackUrl).host,
      CALLBACK_RETRY_DELAY_MS: '50',
      WORKER_CONCURRENCY: '2',
    };
    testApp = await createTestApp(env);
  });

  afterAll(async () => {
    await testApp?.close();
    await origin?.close();
    callbackServer?.close();
    rmSync(mediaRoot, { recursive: true, force: true });
  });

  const api = () => request(testApp.baseUrl);

  async function event(sourceUrl: string, overrides: Record<string, unknown> = {}) {
    return registerEvent(testApp.baseUrl, {
      sourceUrl,
      startTime: EVENT_START,
      duration: SOURCE_SECONDS,
      ...overrides,
    });
  }

  async function download(
    clips: Record<string, unknown>[],
    overrides: Record<string, unknown> = {},
    app = testApp,
  ): Promise<Download> {
    const response = await request(app.baseUrl)
      .post('/voddownload')
      .send({ emailAddress: 'viewer@example.com', downloadClips: clips, ...overrides })
      .expect(201);
    return response.body;
  }

  function waitForStatus(id: string, statuses: string[], app = testApp): Promise<Download> {
    return vi.waitFor(
      async () => {
        const response = await request(app.baseUrl).get(`/voddownload/${id}`);
        expect(response.status === 200 && statuses.includes(response.body.status), JSON.stringify(response.body)).toBe(
          true,
        );
        return response.body as Download;
      },
      { timeout: 20_000, interval: 50 },
    );
  }

  const finished = (id: string, app = testApp) => waitForStatus(id, ['completed', 'failed'], app);
  const fileOf = (body: Download, app = testApp) => join(app.dataDir, body.downloadPath);
  const duration = (file: string) => Number(ffprobe(file).format.duration);
  const streamsOf = (file: string) =>
    ffprobe(file).streams.map((s) => `${s.codec_type}:${s.width ?? s.tags?.language ?? ''}`);

  it('cuts one clip by stream copy from the keyframe before the start, and publishes it with Range support', async () => {
    const { id: eventId } = await event('src/multi.mp4');
    const created = await download([{ eventId, start: '00:00:03.300', end: '00:00:06.000' }], {
      mp4Filename: 'one clip.mp4',
    });
    const done = await finished(created.id);

    expect(done).toMatchObject({ status: 'completed', progress: 100, failureDate: null, failureReason: null });
    expect(done.completionDate).toMatch(/Z$/);
    expect(done.downloadUrl).toBe(`${testApp.baseUrl}/downloads/${done.contentId}/one_clip.mp4`);
    const file = fileOf(done);
    // No filter: the largest video and every audio track; from the keyframe at 2 s to 6 s.
    expect(streamsOf(file)).toEqual(['video:320', 'audio:eng', 'audio:fra']);
    expect(duration(file)).toBeCloseTo(4.0, 1);
    expect(isFastStart(file)).toBe(true);
    expect(meanDifference(frameBytes(file), frameBytes(sources.multi, 2.0))).toBeLessThan(0.5);
    expect(readdirSync(join(testApp.dataDir, 'downloads', done.contentId))).toEqual(['one_clip.mp4']);
    expect(readdirSync(join(testApp.dataDir, 'work'))).toEqual([]);
    // The ready e-mail was queued with the completion (no SMTP_URL: written to the outbox).
    await expect
      .poll(() => outboxMessages(testApp.dataDir, done.contentId), { timeout: 10_000 })
      .toEqual(['download-ready']);

    const url = new URL(done.downloadUrl);
    const whole = await request(url.origin).get(url.pathname).buffer(true).expect(200);
    expect(whole.headers['content-type']).toBe('video/mp4');
    expect(whole.headers['content-disposition']).toMatch(/^attachment; filename="?one_clip\.mp4"?$/);
    expect(whole.body.length).toBe(readFileSync(file).length);
    const part = await request(url.origin).get(url.pathname).set('Range', 'bytes=100-199').buffer(true).expect(206);
    expect(part.headers['content-range']).toBe(`bytes 100-199/${whole.body.length}`);
    expect(Buffer.compare(part.body, readFileSync(file).subarray(100, 200))).toBe(0);

    testApp.clock.advanceDays(8);
    await request(url.origin).get(url.pathname).expect(404);
    testApp.clock.advanceDays(-8);
    await request(url.origin).get(url.pathname.replace('one_clip', 'other')).expect(404);
    await api().delete(`/voddownload/${done.id}`).expect(410);
    await request(url.origin).get(url.pathname).expect(404);
    expect(existsSync(file)).toBe(false);
  });

  it('cuts on the exact frame when frameAccurate is true', async () => {
    const { id: eventId } = await event('src/multi.mp4');
    const created = await download([{ eventId, start: '00:00:03.300', end: '00:00:06.000' }], { frameAccurate: true });
    const done = await finished(created.id);

    expect(done.status).toBe('completed');
    expect(done.cutMethod).toBe('smart');
    const file = fileOf(done);
    expect(streamsOf(file)).toEqual(['video:320', 'audio:eng', 'audio:fra']);
    const video = ffprobe(file).streams[0];
    expect(Number(video.duration)).toBeCloseTo(2.7, 2);
    const first = frameBytes(file);
    const atStart = meanDifference(first, frameBytes(sources.multi, 3.3));
    expect(atStart).toBeLessThan(3);
    expect(atStart).toBeLessThan(meanDifference(first, frameBytes(sources.multi, 3.2)));
    expect(atStart).toBeLessThan(meanDifference(first, frameBytes(sources.multi, 3.4)));
    // From the keyframe at 4 s on the frames are copied: bit-identical to the source.
    expect(meanDifference(frameBytes(file, 1.0), frameBytes(sources.multi, 4.3))).toBeLessThan(0.5);
  });

  it('cuts video with B-frames on the exact frame, and stitches it by copy with decode times in order', async () => {
    const { id: eventId } = await event('src/b-frames.mp4');
    const clips = [
      { eventId, start: '00:00:01.300', end: '00:00:04' },
      { eventId, start: '00:00:05.100', end: '00:00:07' },
    ];
    const exact = await finished((await download(clips, { frameAccurate: true })).id);
    const copied = await finished((await download(clips)).id);

    const exactFile = fileOf(exact);
    expect(Number(ffprobe(exactFile).streams[0].duration)).toBeCloseTo(2.7 + 1.9, 2);
    const first = frameBytes(exactFile);
    expect(meanDifference(first, frameBytes(sources.bFrames, 1.3))).toBeLessThan(
      meanDifference(first, frameBytes(sources.bFrames, 1.2)),
    );
    expect(meanDifference(first, frameBytes(sources.bFrames, 1.3))).toBeLessThan(
      meanDifference(first, frameBytes(sources.bFrames, 1.4)),
    );
    for (const file of [exactFile, fileOf(copied)]) {
      const times = videoDecodeTimes(file);
      expect(times.every((time, i) => i === 0 || time > times[i - 1])).toBe(true);
    }
    expect(exact.cutMethod).toBe('smart');
    expect(copied.cutMethod).toBe('copy');
    // By copy, with B-frames, each clip runs from the keyframe before its start to the first clean point at
    // or after its end (within a mini-GOP of 4 pictures), not to the keyframe after: 0 s to 4 s, then 4 s to 7 s and a bit.
    const copiedVideo = ffprobe(fileOf(copied)).streams.find((stream) => stream.codec_type === 'video')!;
    expect(Number(copiedVideo.duration)).toBeGreaterThanOrEqual(7 - 0.05);
    expect(Number(copiedVideo.duration)).toBeLessThan(7.5);
    expect(Number(copiedVideo.nb_frames)).toBeGreaterThanOrEqual(70);
    expect(Number(copiedVideo.nb_frames)).toBeLessThanOrEqual(74);
  });

  it('reports progress from ffmpeg as it goes, up to the whole', async () => {
    const workDir = mkdtempSync(join(tmpdir(), 'render-progress-'));
    const fractions: number[] = [];
    try {
      await testApp.app.get(DownloadRenderer).render(
        {
          clips: [
            {
              input: { location: sources.multi, remote: false },
              label: 'multi',
              startSeconds: 1.3,
              endSeconds: 7,
              filter: undefined,
            },
          ],
          frameAccurate: true,
          output: join(workDir, 'out.mp4'),
          workDir,
        },
        { onProgress: (fraction) => fractions.push(fraction) },
      );
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
    expect(fractions.length).toBeGreaterThan(2);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(fractions[0]).toBeGreaterThanOrEqual(0);
    expect(fractions.at(-1)).toBeGreaterThan(0.95);
    expect(fractions.at(-1)).toBeLessThanOrEqual(1);
  });

  it('reads HLS over http with the seed filter: one video and the English audio, placed by ISO instants', async () => {
    const { id: eventId } = await event(`${origin.url}/hls/master.m3u8`);
    const created = await download(
      [{ eventId, start: '2018-10-10T14:00:02.000Z', end: '2018-10-10T14:00:06.000Z', filter: SEED_FILTER }],
      { restEndpoints: [callbackUrl] },
    );
    const done = await finished(created.id);

    expect(done.failureReason).toBeNull();
    const file = fileOf(done);
    expect(streamsOf(file)).toEqual(['video:160', 'audio:eng']);
    expect(duration(file)).toBeCloseTo(4.0, 1);
    // The callback failed once and was retried.
    await expect.poll(() => callbackBodies.length, { timeout: 10_000 }).toBe(1);
    expect(callbackBodies[0]).toMatchObject({ id: done.id, status: 'completed', downloadUrl: done.downloadUrl });
  });

  it("cuts a Unified Streaming origin's Smooth Streaming URL, read as its DASH twin, on the exact frame", async () => {
    const { id: eventId } = await event(`${origin.url}/plenary.ism/Manifest`);
    const done = await finished(
      (
        await download([{ eventId, start: '00:00:03.300', end: '00:00:06', filter: SEED_FILTER }], {
          frameAccurate: true,
        })
      ).id,
    );

    expect(done.failureReason).toBeNull();
    const file = fileOf(done);
    expect(streamsOf(file)).toEqual(['video:160', 'audio:eng']);
    expect(Number(ffprobe(file).streams[0].duration)).toBeCloseTo(2.7, 2);
    const first = frameBytes(file, undefined, 160, 90);
    expect(meanDifference(first, frameBytes(sources.multi, 3.3, 160, 90))).toBeLessThan(
      meanDifference(first, frameBytes(sources.multi, 3.2, 160, 90)),
    );
    expect(origin.requests).toContain(`${new URL(origin.url).host}/plenary.ism/.mpd`);
  });

  it('never fetches from a host outside ALLOWED_SOURCE_HOSTS, even when an allowed manifest points there', async () => {
    const elsewhere = `${origin.url.replace('127.0.0.1', 'localhost')}/hls`;
    writeFileSync(
      join(sources.hlsDir, 'elsewhere.m3u8'),
      `#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=150000,RESOLUTION=320x180\n${elsewhere}/hi.m3u8\n`,
    );
    const { id: eventId } = await event(`${origin.url}/hls/elsewhere.m3u8`);
    const failed = await finished((await download([{ eventId }])).id);

    expect(failed.status).toBe('failed');
    expect(failed.failureReason).toContain(
      `Refused by the source rules: ${elsewhere}/hi.m3u8: host not in ALLOWED_SOURCE_HOSTS`,
    );
    expect(origin.requests.filter((line) => line.startsWith('localhost'))).toEqual([]);
    expect(origin.requests).toContain(`${new URL(origin.url).host}/hls/elsewhere.m3u8`);
  });

  it('never lets a remote manifest read MEDIA_ROOT through the source proxy', async () => {
    const proxyUrl = testApp.app.get(SourceProxy).url!;
    writeFileSync(
      join(sources.hlsDir, 'via-proxy.m3u8'),
      `#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=150000,RESOLUTION=320x180\n${proxyUrl}/media-root/src/hls/hi.m3u8\n`,
    );
    const { id: eventId } = await event(`${origin.url}/hls/via-proxy.m3u8`);
    const failed = await finished((await download([{ eventId }])).id);

    expect(failed.status).toBe('failed');
    // Each download has a proxy listener of its own: the shared one's address is just a host not allowed.
    expect(failed.failureReason).toMatch(/Server returned (403 Forbidden|404 Not Found)/);
  });

  it('reads a local HLS manifest under MEDIA_ROOT, and nothing its playlists name outside it', async () => {
    const local = await event('src/hls/master.m3u8');
    const done = await finished(
      (await download([{ eventId: local.id, start: '00:00:02', end: '00:00:04', filter: SEED_FILTER }])).id,
    );
    expect(done.failureReason).toBeNull();
    expect(streamsOf(fileOf(done))).toEqual(['video:160', 'audio:eng']);

    const outside = mkdtempSync(join(tmpdir(), 'outside-media-root-'));
    try {
      for (const name of readdirSync(sources.hlsDir).filter((file) => file.startsWith('hi'))) {
        copyFileSync(join(sources.hlsDir, name), join(outside, name));
      }
      const variant = (uri: string) => `#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=150000,RESOLUTION=320x180\n${uri}\n`;
      writeFileSync(join(sources.hlsDir, 'absolute.m3u8'), variant(join(outside, 'hi.m3u8')));
      writeFileSync(join(sources.hlsDir, 'relative.m3u8'), variant(`${'../'.repeat(12)}${outside.slice(1)}/hi.m3u8`));
      for (const name of ['absolute.m3u8', 'relative.m3u8']) {
        const escaping = await event(`src/hls/${name}`);
        const failed = await finished((await download([{ eventId: escaping.id }])).id);
        expect(failed.status).toBe('failed');
        expect(failed.failureReason).toContain(
          `ffprobe failed (exit code 1): src/hls/${name}: Server returned 404 Not Found`,
        );
        expect(failed.failureReason).toMatch(/Refused by the source rules: .*hi\.m3u8: not a file under MEDIA_ROOT/);
      }
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('reads nothing outside MEDIA_ROOT through a playlist disguised as an MP4 (ffmpeg detects formats by content)', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'outside-media-root-'));
    try {
      const secret = join(outside, 'secret.ts');
      copyFileSync(join(sources.hlsDir, 'hi_000.ts'), secret);
      const hls = `#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n${secret}\n#EXT-X-ENDLIST\n`;
      writeFileSync(join(mediaRoot, 'src/disguised-hls.mp4'), hls);
      symlinkSync(secret, join(mediaRoot, 'src/link.ts'));
      writeFileSync(join(mediaRoot, 'src/disguised-concat.mp4'), 'ffconcat version 1.0\nfile link.ts\n');
      for (const name of ['disguised-hls.mp4', 'disguised-concat.mp4']) {
        const disguised = await event(`src/${name}`);
        const failed = await finished((await download([{ eventId: disguised.id }])).id);
        expect(failed.status).toBe('failed');
        expect(failed.failureReason).toMatch(/Refused by the source rules: .*: not a file under MEDIA_ROOT/);
      }
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('stitches several clips, including a whole event, by stream copy', async () => {
    const { id: eventId } = await event('src/multi.mp4');
    const created = await download([
      { eventId, start: '00:00:00', end: '00:00:02' },
      { eventId, start: null, end: null },
    ]);
    const done = await finished(created.id);

    const file = fileOf(done);
    expect(streamsOf(file)).toEqual(['video:320', 'audio:eng', 'audio:fra']);
    for (const stream of ffprobe(file).streams) expect(Number(stream.duration)).toBeCloseTo(2 + SOURCE_SECONDS, 0);
    expect(meanDifference(frameBytes(file, 2.0), frameBytes(sources.multi, 0))).toBeLessThan(0.5);

    // A file gone from the disk (removed by hand, a lost volume) is a 404 too, not a server error.
    rmSync(file);
    const url = new URL(done.downloadUrl);
    await request(url.origin).get(url.pathname).expect(404);
  });

  it('normalises clips whose tracks differ: sizes, a missing audio and a missing video', async () => {
    const videoOnly = await event('src/video-only.mp4', { duration: 4 });
    const audioOnly = await event('src/audio-only.m4a', { duration: 3 });
    const multi = await event('src/multi.mp4');
    const created = await download([
      { eventId: videoOnly.id },
      { eventId: audioOnly.id },
      { eventId: multi.id, start: '00:00:04', end: '00:00:06', filter: SEED_FILTER },
    ]);
    const done = await finished(created.id);

    expect(done.failureReason).toBeNull();
    const file = fileOf(done);
    expect(streamsOf(file)).toEqual(['video:240', 'audio:eng']);
    for (const stream of ffprobe(file).streams) expect(Number(stream.duration)).toBeGreaterThan(4 + 3 + 2 - 0.2);
  });

  it('fails with an actionable reason for a missing source, and succeeds on retry once the file is there', async () => {
    const { id: eventId } = await event('src/later.mp4');
    const created = await download([{ eventId, start: '00:00:01', end: '00:00:03' }]);
    const failed = await finished(created.id);

    expect(failed).toMatchObject({ status: 'failed', downloadUrl: null, completionDate: null });
    expect(failed.failureDate).toMatch(/Z$/);
    expect(failed.failureReason).toBe(
      'Clip 1 (src/later.mp4): the source file src/later.mp4 does not exist under MEDIA_ROOT',
    );

    copyFileSync(sources.multi, join(mediaRoot, 'src/later.mp4'));
    await api().get(`/voddownload/retry/${created.id}`).expect(200);
    const retried = await finished(created.id);
    expect(retried).toMatchObject({ status: 'completed', failureDate: null, failureReason: null });
    // Stream copy starts on the keyframe at 0 s.
    expect(duration(fileOf(retried))).toBeCloseTo(3, 1);
  });

  it('fails an internal error with a reason that shows no server paths', async () => {
    const { id: eventId } = await event('src/multi.mp4');
    // A file where the download's folder should go makes creating the folder fail.
    mkdirSync(join(testApp.dataDir, 'downloads'), { recursive: true });
    writeFileSync(join(testApp.dataDir, 'downloads', 'blocked'), '');
    const failed = await finished((await download([{ eventId }], { contentId: 'blocked' })).id);

    expect(failed.status).toBe('failed');
    expect(failed.failureReason).toBe(
      "An internal error stopped the download (EEXIST); the details are in the server's log. Retry it, and tell the operator if it fails again.",
    );
  });

  it('fails naming the filter when it selects no track', async () => {
    const { id: eventId } = await event('src/multi.mp4');
    const filter = 'type=="video"&&DisplayWidth==1920';
    const created = await download([{ eventId, start: '00:00:01', end: '00:00:03', filter }]);
    const failed = await finished(created.id);

    expect(failed.status).toBe('failed');
    expect(failed.failureReason).toBe(
      `Clip 1 (src/multi.mp4): the filter ${filter} selects no audio or video track of the source`,
    );
    await expect
      .poll(() => outboxMessages(testApp.dataDir, failed.contentId), { timeout: 10_000 })
      .toEqual(['download-failed']);
  });

  it('refuses callbacks to hosts outside CALLBACK_ALLOWED_HOSTS', async () => {
    const { id: eventId } = await event('src/multi.mp4');
    const response = await api()
      .post('/voddownload')
      .send({
        emailAddress: 'viewer@example.com',
        downloadClips: [{ eventId }],
        restEndpoints: ['https://evil.example.com/x'],
      })
      .expect(400);
    expect(response.body.message).toContain('restEndpoints[0]: the host "evil.example.com"');
  });

  it('stops ffmpeg and removes every file when a running download is deleted', async () => {
    const { id: eventId } = await event(`${origin.url}/hls/master.m3u8`);
    origin.closeGate();
    try {
      const created = await download([{ eventId, start: '00:00:01', end: '00:00:05' }]);
      await waitForStatus(created.id, ['processing']);
      // The premise: ffmpeg is at work on this download, held reading the source.
      await expect.poll(() => toolsReading(origin.url).length, { timeout: 10_000 }).toBeGreaterThan(0);
      await api().delete(`/voddownload/${created.id}`).expect(410);
      await api().get(`/voddownload/${created.id}`).expect(204);
      await expect.poll(() => toolsReading(origin.url), { timeout: 10_000 }).toEqual([]);
      await expect.poll(() => existsSync(join(testApp.dataDir, 'work', created.id)), { timeout: 10_000 }).toBe(false);
      expect(existsSync(join(testApp.dataDir, 'downloads', created.contentId))).toBe(false);
    } finally {
      origin.openGate();
    }
  });

  it('refuses to start a worker when ffmpeg does not run, saying how to fix it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'media-delivery-no-ffmpeg-'));
    await expect(createTestApp({ ...env, FFMPEG_PATH: '/nonexistent/ffmpeg' }, { dataDir })).rejects.toThrow(
      /ffmpeg does not run from "\/nonexistent\/ffmpeg" \(spawn \/nonexistent\/ffmpeg ENOENT\)\. Install ffmpeg .* or set FFMPEG_PATH/,
    );
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('leaves a download queued on shutdown, and finishes one left processing by a dead process after a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'media-delivery-restart-'));
    let app = await createTestApp(env, { dataDir });
    try {
      const { id: eventId } = await registerEvent(app.baseUrl, {
        sourceUrl: `${origin.url}/hls/master.m3u8`,
        startTime: EVENT_START,
      });
      origin.closeGate();
      const created = await download([{ eventId, start: '00:00:01', end: '00:00:05' }], {}, app);
      await waitForStatus(created.id, ['processing'], app);
      await expect.poll(() => toolsReading(origin.url).length, { timeout: 10_000 }).toBeGreaterThan(0);
      await app.close();

      const db = await openTestDatabase(dataDir);
      expect(await db.manager.findOneBy(VodDownload, { id: created.id })).toMatchObject({ status: 'queued' });
      expect(await db.manager.findOneBy(Job, { key: created.id, name: 'vod-download.process' })).toMatchObject({
        status: 'queued',
      });
      expect(toolsReading(origin.url)).toEqual([]);

      // Now as if the process had died mid-way instead: the download processing, its job claimed by a worker whose lease ran out.
      await db.manager.update(VodDownload, { id: created.id }, { status: 'processing', progress: 40 });
      await db.manager.update(
        Job,
        { key: created.id },
        { status: 'active', lockedBy: 'dead-worker', lockedUntil: new Date('2000-01-01T00:00:00.000Z') },
      );
      await db.destroy();

      origin.openGate();
      app = await createTestApp(env, { dataDir });
      const done = await finished(created.id, app);
      expect(done.status).toBe('completed');
      // Stream copy from the keyframe at 0 s.
      expect(duration(fileOf(done, app))).toBeCloseTo(5, 1);
    } finally {
      origin.openGate();
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
