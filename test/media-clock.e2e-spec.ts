import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MediaClockReader } from '../src/media/media-clock-reader.js';
import { registerEvent } from './helpers/factories.js';
import {
  ffprobe,
  frameBytes,
  generateClip,
  generateDashWithAvailabilityStartTime,
  generateHlsWithProgramDateTime,
  meanDifference,
  serveDirectory,
  StaticServer,
} from './helpers/media.js';
import { createTestApp, TestApp } from './helpers/test-app.js';
import { param } from './helpers/test-database.js';

type Download = Record<string, any>;

const SECONDS = 8;
/** When the recordings' own clocks say they began. */
const RECORDED_AT = Date.parse('2018-10-10T14:30:00.000Z');
const at = (seconds: number) => new Date(RECORDED_AT + seconds * 1000).toISOString();
/** A registered startTime an hour off: the media's own clock must win over it. */
const WRONG_START = new Date(RECORDED_AT - 3600_000).toISOString();

/** ISO instants placed by the media's own clock: HLS program date-time, DASH availabilityStartTime. */
describe(MediaClockReader.name, () => {
  let mediaRoot: string;
  let recording: string;
  let origin: StaticServer;
  let testApp: TestApp;

  beforeAll(async () => {
    mediaRoot = mkdtempSync(join(tmpdir(), 'media-root-'));
    recording = join(mediaRoot, 'recording.mp4');
    generateClip(recording, SECONDS);
    generateHlsWithProgramDateTime(recording, join(mediaRoot, 'pdt'), new Date(RECORDED_AT));
    generateDashWithAvailabilityStartTime(recording, join(mediaRoot, 'archive.ism'), new Date(RECORDED_AT));
    origin = await serveDirectory(mediaRoot);
    testApp = await createTestApp({ MEDIA_ROOT: mediaRoot, ALLOWED_SOURCE_HOSTS: new URL(origin.url).host });
  });

  afterAll(async () => {
    await testApp?.close();
    await origin?.close();
    rmSync(mediaRoot, { recursive: true, force: true });
  });

  const api = () => request(testApp.baseUrl);
  const event = (sourceUrl: string, startTime: string | null = WRONG_START) =>
    registerEvent(testApp.baseUrl, { sourceUrl, startTime, duration: null }) as Promise<Record<string, any>>;
  const post = (eventId: string, start: string, end: string) =>
    api()
      .post('/voddownload')
      .send({ emailAddress: 'viewer@example.com', downloadClips: [{ eventId, start, end }] });

  /** Creates a download of one clip; answers it with its clip as stored: offsets and the clock that placed them. */
  async function download(eventId: string, start: string, end: string) {
    const created = (await post(eventId, start, end).expect(201)).body as Download;
    const [clip] = await testApp.dataSource.query(
      `SELECT "startSeconds", "endSeconds", "placedBy" FROM vod_download_clip WHERE "downloadId" = ${param(1)}`,
      [created.id],
    );
    return { created, clip };
  }

  const finished = (id: string) =>
    vi.waitFor(
      async () => {
        const { body } = await api().get(`/voddownload/${id}`).expect(200);
        if (!['completed', 'failed'].includes(body.status)) throw new Error(`Download ${id} is ${body.status}`);
        return body as Download;
      },
      { timeout: 30_000, interval: 50 },
    );

  /** The download's first frame is the recording's frame at `seconds`, not the one at 0. */
  function expectStartsAt(done: Download, seconds: number): void {
    const file = join(testApp.dataDir, done.downloadPath);
    const first = frameBytes(file, 0.05);
    expect(meanDifference(first, frameBytes(recording, seconds + 0.05))).toBeLessThan(
      meanDifference(first, frameBytes(recording, 0.05)),
    );
  }

  it('learns an HLS event’s clock from its program date-time when it is registered', async () => {
    const registered = await event('pdt/master.m3u8');
    expect(registered).toMatchObject({
      startTime: WRONG_START,
      mediaClock: 'hls-program-date-time',
      mediaStartTime: at(0),
      mediaDuration: SECONDS,
    });
    expect((await api().get(`/event/${registered.id}`).expect(200)).body).toEqual(registered);
  });

  it('places ISO instants by the program date-time, not the event’s startTime, and cuts there', async () => {
    const registered = await event('pdt/master.m3u8');
    const { created, clip } = await download(registered.id, at(4), at(6));
    expect(clip).toEqual({ startSeconds: 4, endSeconds: 6, placedBy: 'media' });

    const done = await finished(created.id);
    expect(done.failureReason).toBeNull();
    expect(Number(ffprobe(join(testApp.dataDir, done.downloadPath)).format.duration)).toBeCloseTo(2, 0);
    expectStartsAt(done, 4);
  });

  it.each([
    [at(-0.5), at(2), "is before the media's first timestamp (2018-10-10T14:30:00.000Z)"],
    [at(6), at(SECONDS + 0.5), "is after the media's last timestamp (2018-10-10T14:30:08.000Z)"],
  ])('refuses start %s and end %s outside the media’s time range with 400', async (start, end, message) => {
    const registered = await event('pdt/master.m3u8');
    const response = await post(registered.id, start, end).expect(400);
    expect([response.body.message].flat().join('\n')).toContain(message);
  });

  it('places instants by a DASH archive’s availabilityStartTime, read from an allowed host', async () => {
    const registered = await event(`${origin.url}/archive.ism/.mpd`, null);
    expect(registered).toMatchObject({
      mediaClock: 'dash-availability-start-time',
      mediaStartTime: at(0),
      mediaDuration: SECONDS,
    });
    const { created, clip } = await download(registered.id, at(2), at(4));
    expect(clip).toEqual({ startSeconds: 2, endSeconds: 4, placedBy: 'media' });

    const done = await finished(created.id);
    expect(done.failureReason).toBeNull();
    expectStartsAt(done, 2);
  });

  it('keeps placing instants by the event’s startTime in media without timestamps', async () => {
    const registered = await event('recording.mp4', at(0));
    expect(registered).toMatchObject({ mediaClock: 'none', mediaStartTime: null, mediaDuration: null });
    const { created, clip } = await download(registered.id, at(2), at(4));
    expect(clip).toEqual({ startSeconds: 2, endSeconds: 4, placedBy: 'event' });
  });

  it('learns the clock when a download is created, when the manifest was not there at registration', async () => {
    const registered = await event('late/master.m3u8');
    expect(registered).toMatchObject({ mediaClock: null, mediaStartTime: null });
    cpSync(join(mediaRoot, 'pdt'), join(mediaRoot, 'late'), { recursive: true });

    const { created, clip } = await download(registered.id, at(1), at(3));
    expect(clip).toEqual({ startSeconds: 1, endSeconds: 3, placedBy: 'media' });
    expect((await api().get(`/event/${registered.id}`).expect(200)).body).toMatchObject({
      mediaClock: 'hls-program-date-time',
      mediaStartTime: at(0),
    });
  });

  it('never reads a playlist on a host outside ALLOWED_SOURCE_HOSTS or a file outside MEDIA_ROOT', async () => {
    const elsewhere = origin.url.replace('127.0.0.1', 'localhost');
    const master = (uri: string) => `#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=150000\n${uri}\n`;
    writeFileSync(join(mediaRoot, 'pdt/to-elsewhere.m3u8'), master(`${elsewhere}/pdt/media.m3u8`));
    writeFileSync(join(mediaRoot, 'pdt/to-outside.m3u8'), master('../../outside/media.m3u8'));

    const remote = await event(`${origin.url}/pdt/to-elsewhere.m3u8`);
    const local = await event('pdt/to-outside.m3u8');

    expect(remote).toMatchObject({ mediaClock: null, mediaStartTime: null });
    expect(local).toMatchObject({ mediaClock: null, mediaStartTime: null });
    expect(origin.requests.filter((line) => line.startsWith('localhost'))).toEqual([]);
    // Without the media's clock, the event's startTime places the instants.
    const { created, clip } = await download(local.id, WRONG_START, at(-3598));
    expect(clip).toMatchObject({ startSeconds: 0, placedBy: 'event' });
  });
});
