import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import request from 'supertest';
import { afterAll, beforeAll } from 'vitest';
import type { ElementSpec } from './distribution.js';
import { SourceServer, startSourceServer } from './source-server.js';
import { createTestApp, TestApp } from './test-app.js';

export const MP_ID = '10e8d6b7-24b6-4a0b-b2fa-a2b5c9d54b2d';
export const CHANNEL = 'engage-player';
export const ORG = 'mh_default_org';

/** What every distribution spec works with; the fields are set once its beforeAll has run. */
export interface DistributionFixture {
  testApp: TestApp;
  mediaRoot: string;
  /** DISTRIBUTION_DIR: what /static serves. */
  staticDir: string;
  /** A working file repository on loopback, serving `remoteRoot` (see startSourceServer). */
  source: SourceServer;
  remoteRoot: string;
  /** A track with everything Opencast sends, pointing at video.mp4 (4096 bytes) under MEDIA_ROOT. */
  track: ElementSpec;
  /** POSTs `fields` as a form to /distribution/download/distributesync. */
  form(fields: Record<string, string>): request.Test;
  /** A file: URL of `name` under MEDIA_ROOT. */
  fileUrl(name: string): string;
  /** The published path of `segments` under <DISTRIBUTION_DIR>/<org>/<channel>. */
  published(...segments: string[]): string;
  /** The public URL of `segments` under /static/<org>/<channel>. */
  staticUrl(...segments: string[]): string;
}

/**
 * Registers the hooks that start the app (with ALLOWED_SOURCE_HOSTS naming the source server, and
 * `env`) and lay out MEDIA_ROOT: video.mp4, episode.xml, cover.png and a real HLS rendition of
 * MPEG-TS segments made by ffmpeg in hls/ (variant.m3u8, master.m3u8, seg<n>.ts).
 */
export function useDistributionFixture(env: Record<string, string> = {}): DistributionFixture {
  const fixture = {
    track: {
      id: 'track-1',
      url: '',
      flavor: 'presenter/delivery',
      ref: 'track:track-0',
      tags: ['engage-download', 'atom'],
      checksum: '9e107d9d372bb6826bd81d3542a419d6',
      size: 4096,
      extraXml: '<futureField xmlns="urn:example:future" level="3">keep me</futureField>',
    },
    form: (fields) =>
      request(fixture.testApp.baseUrl).post('/distribution/download/distributesync').type('form').send(fields),
    fileUrl: (name) => pathToFileURL(join(fixture.mediaRoot, name)).href,
    published: (...segments) => join(fixture.staticDir, ORG, CHANNEL, ...segments),
    staticUrl: (...segments) => `${fixture.testApp.baseUrl}/static/${[ORG, CHANNEL, ...segments].join('/')}`,
  } as DistributionFixture;

  beforeAll(async () => {
    fixture.remoteRoot = mkdtempSync(join(tmpdir(), 'distribution-remote-'));
    writeFileSync(join(fixture.remoteRoot, 'remote.mp4'), Buffer.alloc(3000, 7));
    fixture.source = await startSourceServer(fixture.remoteRoot);
    fixture.testApp = await createTestApp({
      ALLOWED_SOURCE_HOSTS: fixture.source.host,
      DISTRIBUTION_AVAILABILITY_TIMEOUT_MS: '2000',
      ...env,
    });
    fixture.mediaRoot = fixture.testApp.config.mediaRoot;
    fixture.staticDir = fixture.testApp.config.distribution.directory;
    writeMediaRoot(fixture.mediaRoot);
    fixture.track.url = fixture.fileUrl('video.mp4');
  });

  afterAll(async () => {
    await fixture.testApp?.close();
    await fixture.source?.close();
    if (fixture.remoteRoot) rmSync(fixture.remoteRoot, { recursive: true, force: true });
  });

  return fixture;
}

function writeMediaRoot(mediaRoot: string): void {
  mkdirSync(join(mediaRoot, 'hls'), { recursive: true });
  writeFileSync(join(mediaRoot, 'video.mp4'), Buffer.alloc(4096, 1));
  writeFileSync(join(mediaRoot, 'episode.xml'), '<dublincore/>');
  writeFileSync(join(mediaRoot, 'cover.png'), Buffer.alloc(64, 3));
  // A real HLS rendition: playlist and MPEG-TS segments from ffmpeg.
  execFileSync('ffmpeg', [
    ...['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=160x90:rate=10:duration=2', '-c:v', 'mpeg2video'],
    ...['-f', 'hls', '-hls_time', '1', '-hls_list_size', '0'],
    ...['-hls_segment_filename', join(mediaRoot, 'hls', 'seg%d.ts'), join(mediaRoot, 'hls', 'variant.m3u8')],
  ]);
  writeFileSync(
    join(mediaRoot, 'hls', 'master.m3u8'),
    '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=200000,RESOLUTION=160x90\nvariant.m3u8\n',
  );
}
