import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/app-config.js';
import { SourceProxy } from '../src/media/source-proxy.js';

/** The loopback HTTP server ffmpeg reads MEDIA_ROOT through: byte ranges, as seeking asks for them. */
describe('SourceProxy: files under MEDIA_ROOT', () => {
  const dir = mkdtempSync(join(tmpdir(), 'source-proxy-'));
  const mediaRoot = join(dir, 'media');
  const content = randomBytes(2.5 * 1024 * 1024);
  const size = content.length;
  let proxy: SourceProxy;
  let url: string;
  beforeAll(async () => {
    const config = loadConfig({ ...process.env, DATA_DIR: join(dir, 'data'), MEDIA_ROOT: mediaRoot });
    mkdirSync(mediaRoot, { recursive: true });
    writeFileSync(join(mediaRoot, 'source.mp4'), content);
    writeFileSync(join(dir, 'outside.mp4'), 'not for ffmpeg');
    proxy = new SourceProxy(config);
    await proxy.start();
    url = proxy.mediaRootUrl(join(mediaRoot, 'source.mp4'));
  });
  afterAll(async () => {
    await proxy?.onModuleDestroy();
    rmSync(dir, { recursive: true, force: true });
  });

  /** As ffmpeg asks, through the proxy (http_proxy): the absolute URL in the request line. */
  const get = (target: string, range?: string) =>
    new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const { hostname, port } = new URL(proxy.url!);
      const call = request({ hostname, port, path: target, headers: range ? { range } : {} }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks) }),
        );
      });
      call.on('error', reject).end();
    });

  it('sends the whole file, and any single range of it across its 1 MiB reads', async () => {
    const whole = await get(url);
    expect(whole.status).toBe(200);
    expect(whole.body.equals(content)).toBe(true);
    const across = await get(url, 'bytes=1048570-2097160');
    expect(across.status).toBe(206);
    expect(across.headers['content-range']).toBe(`bytes 1048570-2097160/${size}`);
    expect(across.body.equals(content.subarray(1048570, 2097161))).toBe(true);
    expect((await get(url, 'bytes=-10')).body.equals(content.subarray(size - 10))).toBe(true);
    expect((await get(url, `bytes=${size - 100}-`)).body.equals(content.subarray(size - 100))).toBe(true);
    const beyond = await get(url, `bytes=${size}-`);
    expect(beyond.status).toBe(416);
    expect(beyond.headers['content-range']).toBe(`bytes */${size}`);
  });

  it('sends nothing outside MEDIA_ROOT', async () => {
    const outside = await get(url.replace(/source\.mp4$/, '..%2Foutside.mp4'));
    expect(outside.status).toBe(404);
    expect(outside.body.toString()).not.toContain('not for ffmpeg');
  });
});
