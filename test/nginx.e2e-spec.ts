import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { NGINX_ACCEL_PREFIX, nginxInstalled, startNginx, type RunningNginx } from '../bench/nginx.js';
import { createDownload, registerEvent } from './helpers/factories.js';
import { generateClip } from './helpers/media.js';
import { requiredTool } from './helpers/required-tool.js';
import { createTestApp, TestApp } from './helpers/test-app.js';

const ELEMENT = 'mh_default_org/engage-player/mp-1/track-1';

describe.skipIf(!requiredTool('nginx', nginxInstalled()))('deploy/nginx.conf in front of the service', () => {
  let testApp: TestApp;
  let nginx: RunningNginx;
  let download: Record<string, any>;
  let file: Buffer;
  beforeAll(async () => {
    testApp = await createTestApp({ DOWNLOAD_ACCEL_REDIRECT: NGINX_ACCEL_PREFIX });
    nginx = await startNginx({
      upstreamPort: Number(new URL(testApp.baseUrl).port),
      downloadsDir: testApp.config.downloadsDir,
      staticDir: testApp.config.distribution.directory,
    });
    generateClip(join(testApp.config.mediaRoot, 'clip.mp4'));
    // Everything below goes through nginx: the API too.
    const event = await registerEvent(nginx.url, { sourceUrl: 'clip.mp4', startTime: null, duration: 2 });
    const created = await createDownload(nginx.url, event.id, {
      contentId: 'séance 1',
      mp4Filename: 'Séance plénière.mp4',
      downloadClips: [{ eventId: event.id }],
    });
    download = await vi.waitFor(
      async () => {
        const { body } = await request(nginx.url).get(`/voddownload/${created.id}`).expect(200);
        if (body.status !== 'completed') throw new Error(`The download is ${body.status}`);
        return body;
      },
      { timeout: 30_000, interval: 100 },
    );
    file = readFileSync(join(testApp.dataDir, download.downloadPath));
  });
  afterAll(async () => {
    await nginx?.stop();
    await testApp?.close();
  });
  const linkOf = (body: Record<string, any>) => new URL(body.downloadUrl).pathname;

  it('the service checks the download and answers with X-Accel-Redirect, the headers and no body', async () => {
    const response = await request(testApp.baseUrl).get(linkOf(download)).expect(200);
    expect(response.headers['x-accel-redirect']).toBe('/internal/downloads/s~C3~A9ance~201/Seance_pleniere.mp4');
    expect(response.headers['content-type']).toBe('video/mp4');
    expect(response.text ?? '').toBe('');
  });

  it("nginx sends the whole file and Range parts, with the service's Content-Type, Content-Disposition and nosniff", async () => {
    const whole = await request(nginx.url).get(linkOf(download)).buffer(true).expect(200);
    expect(Buffer.compare(whole.body, file)).toBe(0);
    expect(whole.headers['content-type']).toBe('video/mp4');
    expect(whole.headers['content-disposition']).toBe('attachment; filename=Seance_pleniere.mp4');
    expect(whole.headers['x-content-type-options']).toBe('nosniff');
    expect(whole.headers['x-accel-redirect']).toBeUndefined();

    const part = await request(nginx.url).get(linkOf(download)).set('Range', 'bytes=100-199').buffer(true).expect(206);
    expect(part.headers['content-range']).toBe(`bytes 100-199/${file.length}`);
    expect(Buffer.compare(part.body, file.subarray(100, 200))).toBe(0);
  });

  it('sends published distribution files with nosniff and the sandbox CSP; no dotfiles, folders or internal paths', async () => {
    const dir = join(testApp.config.distribution.directory, ELEMENT);
    mkdirSync(dir, { recursive: true });
    const page = '<html><body><script>alert(1)</script></body></html>';
    writeFileSync(join(dir, 'slides 1 – final.html'), page);
    writeFileSync(join(dir, '.slides.html.tmp'), page);

    const path = `/static/${ELEMENT}/${encodeURIComponent('slides 1 – final.html')}`;
    const served = await request(nginx.url).get(path).expect(200);
    expect(served.text).toBe(page);
    expect(served.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(served.headers['x-content-type-options']).toBe('nosniff');
    expect(served.headers['content-security-policy']).toBe('sandbox');
    const part = await request(nginx.url).get(path).set('Range', 'bytes=6-11').expect(206);
    expect(part.text).toBe('<body>');

    await request(nginx.url).get(`/static/${ELEMENT}/.slides.html.tmp`).expect(404);
    await request(nginx.url).get(`/static/${ELEMENT}/`).expect(404);
    await request(nginx.url).get(`/static/${ELEMENT}/missing.mp4`).expect(404);
    await request(nginx.url)
      .get(`${NGINX_ACCEL_PREFIX}/static/${ELEMENT}/slides%201%20%E2%80%93%20final.html`)
      .expect(404);
    await request(nginx.url).get(`${NGINX_ACCEL_PREFIX}/${download.downloadPath}`).expect(404);
  });

  it('answers 404 once the download expired, and after it was deleted', async () => {
    testApp.clock.advanceDays(8);
    await request(nginx.url).get(linkOf(download)).expect(404);
    testApp.clock.advanceDays(-8);
    await request(nginx.url).get(linkOf(download)).expect(200);

    await request(nginx.url).delete(`/voddownload/${download.id}`).expect(410);
    await request(nginx.url).get(linkOf(download)).expect(404);
    await request(nginx.url).get(`/voddownload/${download.id}`).expect(204);
  });
});
