import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/app-config.js';
import { ManifestUnreadableError, MediaClockReader } from './media-clock-reader.js';

const DATED = [
  '#EXTM3U',
  '#EXT-X-TARGETDURATION:2',
  '#EXTINF:2,',
  '#EXT-X-PROGRAM-DATE-TIME:2018-10-10T14:30:00Z',
  'a.ts',
  '#EXT-X-ENDLIST',
].join('\n');
const MPD =
  '<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" availabilityStartTime="2018-10-10T14:30:00Z" ' +
  'mediaPresentationDuration="PT6S"><Period start="PT0S"/></MPD>';

describe(MediaClockReader.name, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'media-clock-'));
  let server: Server;
  let origin: string;
  let reader: MediaClockReader;

  beforeAll(async () => {
    server = createServer((request, response) => {
      if (request.url === '/live/dated.m3u8') response.writeHead(200).end(DATED);
      else if (request.url === '/vod/plenary.ism/.mpd') response.writeHead(200).end(MPD);
      else if (request.url === '/moved.m3u8') response.writeHead(302, { location: '/live/dated.m3u8' }).end();
      else if (request.url === '/away.m3u8')
        response.writeHead(302, { location: 'http://elsewhere.test/a.m3u8' }).end();
      else if (request.url === '/huge.m3u8') response.writeHead(200).end(`#EXTM3U\n${'#'.repeat(5 * 1024 * 1024)}`);
      else response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const config = loadConfig({ DATA_DIR: dataDir, ALLOWED_SOURCE_HOSTS: new URL(origin).host });
    reader = new MediaClockReader(config);
    mkdirSync(join(config.mediaRoot, 'hls'), { recursive: true });
    writeFileSync(join(config.mediaRoot, 'hls/dated.m3u8'), DATED);
    writeFileSync(join(config.mediaRoot, 'hls/master.m3u8'), '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\ndated.m3u8\n');
    writeFileSync(join(dataDir, 'secret.m3u8'), DATED);
    symlinkSync(join(dataDir, 'secret.m3u8'), join(config.mediaRoot, 'hls/link.m3u8'));
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dataDir, { recursive: true, force: true });
  });

  const dated = { kind: 'hls-program-date-time', startTime: new Date('2018-10-10T14:30:00Z'), duration: 2 };

  it('reads a master playlist under MEDIA_ROOT and the media playlist it names', async () => {
    await expect(reader.read('hls/master.m3u8')).resolves.toEqual(dated);
  });

  it('reads a remote playlist through allowed redirects, and a Smooth Streaming URL as its DASH manifest', async () => {
    await expect(reader.read(`${origin}/moved.m3u8`)).resolves.toEqual(dated);
    await expect(reader.read(`${origin}/vod/plenary.ism/Manifest`)).resolves.toMatchObject({
      kind: 'dash-availability-start-time',
      duration: 6,
    });
  });

  it('reads nothing of a media file: it has no wall clock', async () => {
    await expect(reader.read('recording.mp4')).resolves.toBeNull();
  });

  it.each([
    ['a redirect to a host not allowed', () => `${origin}/away.m3u8`, 'not in ALLOWED_SOURCE_HOSTS'],
    ['a link out of MEDIA_ROOT', () => 'hls/link.m3u8', 'is outside the media root'],
    ['a manifest over 4 MiB', () => `${origin}/huge.m3u8`, 'is more than 4194304 bytes'],
    ['a missing manifest', () => `${origin}/missing.m3u8`, 'failed with HTTP 404'],
    ['a host not allowed', () => 'http://elsewhere.test/a.m3u8', 'not in ALLOWED_SOURCE_HOSTS'],
  ])('refuses %s', async (_, source, message) => {
    const reading = reader.read(source());
    await expect(reading).rejects.toThrow(ManifestUnreadableError);
    await expect(reading).rejects.toThrow(message);
  });
});
