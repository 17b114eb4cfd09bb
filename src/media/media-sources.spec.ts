import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/app-config.js';
import { SourceNotAllowedError } from '../security/source-not-allowed-error.js';
import { MediaSources, readableSourceUrl, SourceMissingError } from './media-sources.js';
import { SourceProxy } from './source-proxy.js';

describe(MediaSources.name, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'media-sources-'));
  const config = loadConfig({ DATA_DIR: dataDir, ALLOWED_SOURCE_HOSTS: 'origin.example.com' });
  const proxy = new SourceProxy(config);
  const sources = new MediaSources(config, proxy);
  beforeAll(async () => {
    mkdirSync(config.mediaRoot, { recursive: true });
    writeFileSync(join(config.mediaRoot, 'a b.mp4'), 'video');
    writeFileSync(join(dataDir, 'secret.txt'), 'secret');
    symlinkSync(join(dataDir, 'secret.txt'), join(config.mediaRoot, 'link.mp4'));
    await proxy.start();
  });
  afterAll(() => proxy.onModuleDestroy());

  it('reads a file under MEDIA_ROOT through the source proxy, never as a file', async () => {
    const input = await sources.inputFor('a b.mp4');
    expect(input.remote).toBe(true);
    expect(input.location).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/media-root-[0-9a-f]{32}\/a%20b\.mp4$/);
    expect(await statusThroughProxy(proxy.url!, input.location)).toBe(200);
  });

  it('reads a remote source as ffmpeg can, from the allowed hosts only', async () => {
    await expect(sources.inputFor('https://origin.example.com/v/a.ism/Manifest')).resolves.toEqual({
      location: 'https://origin.example.com/v/a.ism/.mpd',
      remote: true,
    });
    await expect(sources.inputFor('https://elsewhere.example.com/a.mp4')).rejects.toThrow(SourceNotAllowedError);
  });

  it('refuses missing files, links out of MEDIA_ROOT and paths outside it', async () => {
    await expect(sources.inputFor('gone.mp4')).rejects.toThrow(SourceMissingError);
    await expect(sources.inputFor('link.mp4')).rejects.toThrow(SourceNotAllowedError);
    await expect(sources.inputFor('../secret.txt')).rejects.toThrow(SourceNotAllowedError);
  });

  it("reads a Unified Streaming origin's Smooth Streaming presentation as DASH, and other URLs as they are", () => {
    const seed = 'http://origin-url.com/content/vod/6f9b/6f9b_nodrm_07dc.ism/Manifest';
    expect(readableSourceUrl(new URL(seed))).toBe('http://origin-url.com/content/vod/6f9b/6f9b_nodrm_07dc.ism/.mpd');
    expect(readableSourceUrl(new URL('https://o.example.com/live/a.isml/manifest?t=1'))).toBe(
      'https://o.example.com/live/a.isml/.mpd?t=1',
    );
    expect(readableSourceUrl(new URL('https://o.example.com/vod/a.ism/.m3u8'))).toBe(
      'https://o.example.com/vod/a.ism/.m3u8',
    );
    expect(readableSourceUrl(new URL('https://o.example.com/vod/Manifest'))).toBe('https://o.example.com/vod/Manifest');
  });
});

/** Asks the proxy for `url` the way ffmpeg does, as a forward proxy. */
function statusThroughProxy(proxyUrl: string, url: string): Promise<number | undefined> {
  const { hostname, port } = new URL(proxyUrl);
  return new Promise((resolve, reject) =>
    get({ hostname, port, path: url }, (response) => {
      response.resume();
      resolve(response.statusCode);
    }).on('error', reject),
  );
}
