import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Logger } from '@nestjs/common';
import { simpleParser } from 'mailparser';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { NGINX_ACCEL_PREFIX, nginxInstalled, startNginx, type RunningNginx } from '../bench/nginx.js';
import { ACCEL_ANSWER_CACHE_SECONDS } from '../src/storage/file-serving.js';
import { expiresAt } from '../src/vod-download/expiry.js';
import { VodDownload } from '../src/vod-download/vod-download.entity.js';
import { NO_SUCH_DOWNLOAD } from '../src/vod-download/vod-download.service.js';
import { createDownload, registerEvent } from './helpers/factories.js';
import { binary } from './helpers/binary-body.js';
import { generateClip } from './helpers/media.js';
import { sampleOf } from './helpers/metrics.js';
import { requiredTool } from './helpers/required-tool.js';
import { createTestApp, TestApp } from './helpers/test-app.js';

const ELEMENT = 'mh_default_org/engage-player/mp-1/track-1';
/** DOWNLOAD_LINK_SECRET, in the service and in nginx's media-delivery-link-secret.conf. */
const LINK_SECRET = 'Xq1b7Vw9+eLr2/TzK0pNs5YcHd8fUa3gJm6oQi4kRt=';

describe.skipIf(!requiredTool('nginx', nginxInstalled()))('deploy/nginx.conf in front of the service', () => {
  let testApp: TestApp;
  let nginx: RunningNginx;
  let download: Record<string, any>;
  let file: Buffer;
  let eventId: string;
  beforeAll(async () => {
    testApp = await createTestApp({ DOWNLOAD_ACCEL_REDIRECT: NGINX_ACCEL_PREFIX, DOWNLOAD_LINK_SECRET: LINK_SECRET });
    nginx = await startNginx({
      upstreamPort: Number(new URL(testApp.baseUrl).port),
      downloadsDir: testApp.config.downloadsDir,
      staticDir: testApp.config.distribution.directory,
      accessLog: true,
      downloadLinkSecret: LINK_SECRET,
    });
    generateClip(join(testApp.config.mediaRoot, 'clip.mp4'));
    // Everything below goes through nginx: the API too.
    const event = await registerEvent(nginx.url, { sourceUrl: 'clip.mp4', startTime: null, duration: 2 });
    eventId = event.id;
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
  /** A download's link without its signature, as links were before DOWNLOAD_LINK_SECRET (old e-mails). */
  const linkOf = (body: Record<string, any>) => `/${body.downloadPath}`;
  /** The path of a download's signed link, without its query. */
  const signedPathOf = (body: Record<string, any>) => new URL(body.downloadUrl).pathname;
  /** A download's link as the API hands it out: signed. */
  const signedLinkOf = (body: Record<string, any>) => {
    const url = new URL(body.downloadUrl);
    return `${url.pathname}${url.search}`;
  };

  /** How many GETs the service itself answered on `route` with `status`. */
  async function serviceGets(route: string, status = '200'): Promise<number> {
    const { text } = await request(testApp.baseUrl).get('/metrics').expect(200);
    return sampleOf(text, 'http_request_duration_seconds_count', { method: 'GET', route, status }) ?? 0;
  }
  const DOWNLOAD_ROUTE = '/downloads/:folder/:fileName';
  const SIGNED_DOWNLOAD_ROUTE = '/signed/downloads/:folder/:fileName';

  /** Where nginx took the check of each request for `path` from so far, by its access log: MISS, HIT, EXPIRED, signed… */
  const checksOf = (path: string, server = nginx) =>
    server
      .accessLog()
      .filter((line) => line.includes(`"GET ${path} `) || line.includes(`"HEAD ${path} `))
      .map((line) => /check=(\S+)/.exec(line)?.[1]);
  /** For each request for `path` so far, by nginx's access log: whether the service answered it (nginx proxied it there). */
  const answeredByService = (path: string) =>
    nginx
      .accessLog()
      .filter((line) => line.includes(`"GET ${path} `))
      .map((line) => !/ upstream=-$/.test(line));

  /** A completed download whose file the test writes, as a worker would have; with its link's path. */
  async function completedDownload(content: string, overrides: Record<string, unknown> = {}) {
    const created = await createDownload(nginx.url, eventId, { downloadClips: [{ eventId }], ...overrides });
    const path = join(testApp.dataDir, created.downloadPath);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    const completionDate = testApp.clock.now();
    await testApp.dataSource
      .getRepository(VodDownload)
      .update(created.id, { status: 'completed', progress: 100, completionDate });
    return { id: created.id as string, link: `/${created.downloadPath}`, path, completionDate };
  }

  it('the service checks the download and answers with X-Accel-Redirect, the headers, until when nginx may keep it, and no body', async () => {
    const before = Math.floor(Date.now() / 1000);
    const response = await request(testApp.baseUrl).get(linkOf(download)).expect(200);
    expect(response.headers['x-accel-redirect']).toBe('/internal/downloads/s~C3~A9ance~201/Seance_pleniere.mp4');
    expect(response.headers['content-type']).toBe('video/mp4');
    expect(response.text ?? '').toBe('');
    const until = Number(/^@(\d+)$/.exec(response.headers['x-accel-expires'])?.[1]);
    expect(until).toBeGreaterThanOrEqual(before + ACCEL_ANSWER_CACHE_SECONDS);
    expect(until).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + ACCEL_ANSWER_CACHE_SECONDS);
  });

  it("nginx checks once, then sends the whole file and Range parts with the service's Content-Type, Content-Disposition and nosniff", async () => {
    const checks = await serviceGets(DOWNLOAD_ROUTE);
    await request(nginx.url).get(linkOf(download)).expect(200);
    // From here on nginx answers from its cached check: the headers below come from it.
    const whole = await request(nginx.url).get(linkOf(download)).buffer(true).expect(200);
    expect(Buffer.compare(whole.body, file)).toBe(0);
    expect(whole.headers['content-type']).toBe('video/mp4');
    expect(whole.headers['content-disposition']).toBe('attachment; filename=Seance_pleniere.mp4');
    expect(whole.headers['x-content-type-options']).toBe('nosniff');
    expect(whole.headers['x-accel-redirect']).toBeUndefined();
    expect(whole.headers['x-accel-expires']).toBeUndefined();

    const part = await request(nginx.url).get(linkOf(download)).set('Range', 'bytes=100-199').buffer(true).expect(206);
    expect(part.headers['content-range']).toBe(`bytes 100-199/${file.length}`);
    expect(part.headers['content-type']).toBe('video/mp4');
    expect(part.headers['content-disposition']).toBe('attachment; filename=Seance_pleniere.mp4');
    expect(Buffer.compare(part.body, file.subarray(100, 200))).toBe(0);
    // Several ranges: the whole file, as the service itself answers them.
    const ranges = await request(nginx.url)
      .get(linkOf(download))
      .set('Range', 'bytes=0-9,20-29')
      .buffer(true)
      .expect(200);
    expect(ranges.body.length).toBe(file.length);
    const head = await request(nginx.url).head(linkOf(download)).expect(200);
    expect(head.headers['content-length']).toBe(String(file.length));
    expect(head.headers['content-type']).toBe('video/mp4');
    // Other methods are the service's, as any path it does not serve: a 404 (not nginx's 405).
    await request(nginx.url).post(linkOf(download)).expect(404);
    // A query string is no way around the cache.
    await request(nginx.url)
      .get(`${linkOf(download)}?fresh=1`)
      .expect(200);

    // nginx asked the service once, and answered the rest from that answer, its headers included.
    expect(checksOf(linkOf(download))).toEqual(['MISS', 'HIT', 'HIT', 'HIT', 'HIT']);
    expect(await serviceGets(DOWNLOAD_ROUTE)).toBe(checks + 1);
  });

  it('sends published distribution files itself, with nosniff and the sandbox CSP; no dotfiles, folders or internal paths', async () => {
    const dir = join(testApp.config.distribution.directory, ELEMENT);
    mkdirSync(join(dir, '.partial'), { recursive: true });
    const page = '<html><body><script>alert(1)</script></body></html>';
    writeFileSync(join(dir, 'slides 1 – final.html'), page);
    writeFileSync(join(dir, '.slides.html.tmp'), page);
    writeFileSync(join(dir, '.partial', 'segment.ts'), page);

    const path = `/static/${ELEMENT}/${encodeURIComponent('slides 1 – final.html')}`;
    const served = await request(nginx.url).get(path).expect(200);
    expect(served.text).toBe(page);
    expect(served.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(served.headers['x-content-type-options']).toBe('nosniff');
    expect(served.headers['content-security-policy']).toBe('sandbox');
    expect(served.headers['content-disposition']).toBeUndefined();
    const part = await request(nginx.url).get(path).set('Range', 'bytes=6-11').expect(206);
    expect(part.text).toBe('<body>');
    expect(part.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(part.headers['content-security-policy']).toBe('sandbox');
    const ranges = await request(nginx.url).get(path).set('Range', 'bytes=0-1,4-5').expect(200);
    expect(ranges.text).toBe(page);
    // nginx asked the service nothing.
    expect(answeredByService(path)).toEqual([false, false, false]);

    // Refused by nginx, answered by the service: its 404, as for any path it does not serve.
    const notServed = [
      `/static/${ELEMENT}/.slides.html.tmp`,
      `/static/${ELEMENT}/%2Eslides.html.tmp`,
      `/static/${ELEMENT}/.partial/segment.ts`,
      `/static/${ELEMENT}/`,
      `/static/${ELEMENT}/missing.mp4`,
    ];
    for (const refused of notServed) {
      const answer = await request(nginx.url).get(refused).redirects(0).expect(404);
      expect(answer.body.message, refused).toMatch(/^Cannot GET \/static\//);
      expect(answeredByService(refused), refused).toEqual([true]);
    }
    await request(nginx.url).post(path).expect(404);
    await request(nginx.url)
      .get(`${NGINX_ACCEL_PREFIX}/static/${ELEMENT}/slides%201%20%E2%80%93%20final.html`)
      .expect(404);
    await request(nginx.url).get(`${NGINX_ACCEL_PREFIX}/${download.downloadPath}`).expect(404);
    // The check's location is internal; nginx's 404 for it there becomes the check's refusal.
    await request(nginx.url).get(`${NGINX_ACCEL_PREFIX}/check`).expect(403);
  });

  it('sends each published file with the Content-Type the service sends for it (media-delivery-types.conf)', async () => {
    const dir = join(testApp.config.distribution.directory, ELEMENT, 'types');
    mkdirSync(dir, { recursive: true });
    const names = [
      'index.m3u8',
      'segment_00001.ts',
      'captions.vtt',
      'presenter.mp4',
      'audio.m4a',
      'cover.jpg',
      'cover.PNG',
      'episode.xml',
      'metadata.json',
      'slides.pdf',
      'styles.css',
      'archive.tar.gz',
      'README',
      'data.unknownextension',
      'trailing.',
    ];
    for (const name of names) {
      writeFileSync(join(dir, name), name);
      const path = `/static/${ELEMENT}/types/${name}`;
      const fromNginx = await request(nginx.url).get(path).buffer(true).parse(binary).expect(200);
      // The service behind nginx answers the same path with the header it would send the file with.
      const fromService = await request(testApp.baseUrl).get(path).expect(200);
      expect(fromNginx.headers['content-type'], name).toBe(fromService.headers['content-type']);
    }
    const { headers } = await request(nginx.url).get(`/static/${ELEMENT}/types/index.m3u8`).expect(200);
    expect(headers['content-type']).toBe('application/vnd.apple.mpegurl');
  });

  it('the plain X-Accel-Redirect mode (no file locations) sends the same files with the same headers, asking the service each time', async () => {
    const plain = await startNginx({
      upstreamPort: Number(new URL(testApp.baseUrl).port),
      downloadsDir: testApp.config.downloadsDir,
      staticDir: testApp.config.distribution.directory,
      plainAccelRedirect: true,
      accessLog: true,
    });
    try {
      const link = linkOf(download);
      const checks = await serviceGets(DOWNLOAD_ROUTE);
      const whole = await request(plain.url).get(link).buffer(true).expect(200);
      expect(Buffer.compare(whole.body, file)).toBe(0);
      expect(whole.headers['content-type']).toBe('video/mp4');
      expect(whole.headers['content-disposition']).toBe('attachment; filename=Seance_pleniere.mp4');
      expect(whole.headers['x-content-type-options']).toBe('nosniff');
      expect(whole.headers['x-accel-expires']).toBeUndefined();
      const part = await request(plain.url).get(link).set('Range', 'bytes=100-199').buffer(true).expect(206);
      expect(Buffer.compare(part.body, file.subarray(100, 200))).toBe(0);
      expect(await serviceGets(DOWNLOAD_ROUTE)).toBe(checks + 2);
      expect(plain.accessLog().filter((line) => line.includes(`"GET ${link} `))).toHaveLength(2);

      const dir = join(testApp.config.distribution.directory, ELEMENT);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'plain.html'), '<p>plain</p>');
      const page = await request(plain.url).get(`/static/${ELEMENT}/plain.html`).expect(200);
      expect(page.text).toBe('<p>plain</p>');
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(page.headers['content-security-policy']).toBe('sandbox');
      await request(plain.url).get(`/static/${ELEMENT}/missing.html`).expect(404);
    } finally {
      await plain.stop();
    }
  });

  it('keeps each answer for its own path: a file on disk that the service refuses is not sent', async () => {
    const approved = await completedDownload('approved');
    await request(nginx.url).get(approved.link).expect(200);
    const refused = await completedDownload('refused');
    await testApp.dataSource.getRepository(VodDownload).update(refused.id, { status: 'failed' });
    const answer = await request(nginx.url).get(refused.link).expect(404);
    expect(answer.body.message).toBe(NO_SUCH_DOWNLOAD);
    expect(checksOf(refused.link)).toEqual(['MISS']);
  });

  it('a published file gone from disk (a retraction removes it) is 404 at once', async () => {
    const dir = join(testApp.config.distribution.directory, ELEMENT);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'retracted.txt'), 'soon gone');
    const path = `/static/${ELEMENT}/retracted.txt`;
    await request(nginx.url).get(path).expect(200);
    rmSync(join(dir, 'retracted.txt'));
    const gone = await request(nginx.url).get(path).expect(404);
    expect(gone.body.message).toBe(`Cannot GET ${path}`);
    expect(answeredByService(path)).toEqual([false, true]);
  });

  it("a deleted download is 404 at once, its cached check notwithstanding, with the service's answer", async () => {
    const deleted = await completedDownload('to be deleted');
    const served = await request(nginx.url).get(deleted.link).buffer(true).expect(200);
    expect(served.body.toString()).toBe('to be deleted');

    await request(nginx.url).delete(`/voddownload/${deleted.id}`).expect(410);
    expect(existsSync(deleted.path)).toBe(false);
    const gone = await request(nginx.url).get(deleted.link).expect(404);
    expect(gone.body.message).toBe(NO_SUCH_DOWNLOAD);
    expect(checksOf(deleted.link)).toEqual(['MISS', 'HIT']);
    await request(nginx.url).get(`/voddownload/${deleted.id}`).expect(204);
  });

  it('a retried download is 404 at once: the retry removes its old file', async () => {
    const retried = await completedDownload('the first run');
    await request(nginx.url).get(retried.link).expect(200);
    expect(checksOf(retried.link)).toEqual(['MISS']);
    await request(nginx.url).get(`/voddownload/retry/${retried.id}`).expect(200);
    // The worker makes the file again from the clip; until then the old one must not be sent.
    expect(existsSync(retried.path) ? readFileSync(retried.path, 'utf8') : undefined).not.toBe('the first run');
    const during = await request(nginx.url).get(retried.link).buffer(true);
    expect(during.body.toString()).not.toBe('the first run');
    expect(checksOf(retried.link)).toEqual(['MISS', 'HIT']);
  });

  it('an expired download is 404 from its expiry on, though nginx cached its check until then', async () => {
    const expiring = await completedDownload('expiring');
    // Business time to 6 s before its expiry; nginx keeps wall time, and the offset stays so.
    const expiry = expiresAt(expiring.completionDate, testApp.config.downloadExpiryDays).getTime();
    const offset = expiry - 6000 - testApp.clock.now().getTime();
    testApp.clock.advance(offset);
    const wallExpiry = expiry - (testApp.clock.now().getTime() - Date.now());
    try {
      await request(nginx.url).get(expiring.link).expect(200);
      // Had nginx not kept the check, the service would refuse now: a day later on its clock.
      testApp.clock.advanceDays(1);
      await request(nginx.url).get(expiring.link).expect(200);
      testApp.clock.advanceDays(-1);

      // From the expiry on (10 ms on, as a timer may fire a little early):
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, wallExpiry - Date.now()) + 10));
      const expired = await request(nginx.url).get(expiring.link).expect(404);
      expect(expired.body.message).toBe(NO_SUCH_DOWNLOAD);
      expect(checksOf(expiring.link)).toEqual(['MISS', 'HIT', 'EXPIRED']);
    } finally {
      testApp.clock.advance(-offset);
    }
  });

  describe('signed links (DOWNLOAD_LINK_SECRET)', () => {
    /** The download as the API shows it now, through nginx. */
    const current = async (id: string) => (await request(nginx.url).get(`/voddownload/${id}`).expect(200)).body;
    /** The link with one of its query parameters replaced. */
    const withParameter = (link: string, name: string, value: string) => {
      const url = new URL(link, 'http://x');
      url.searchParams.set(name, value);
      return `${url.pathname}${url.search}`;
    };

    it("the API's link carries nginx's secure_link signature, good until the last second before the download's expiry", async () => {
      const url = new URL(download.downloadUrl);
      // A location of its own in nginx, matched without a rewrite.
      expect(url.pathname).toBe(`/signed/${download.downloadPath}`);
      expect([...url.searchParams.keys()]).toEqual(['expires', 'md5']);
      const expiry = expiresAt(new Date(download.completionDate), testApp.config.downloadExpiryDays).getTime();
      const expires = url.searchParams.get('expires')!;
      // nginx accepts the link through the whole second named: the last one that ends by the expiry.
      expect((Number(expires) + 1) * 1000).toBeLessThanOrEqual(expiry);
      expect((Number(expires) + 2) * 1000).toBeGreaterThan(expiry);
      // nginx's documented form: base64url(md5("$secure_link_expires$uri $secret")), no padding.
      const md5 = createHash('md5').update(`${expires}${url.pathname} ${LINK_SECRET}`).digest('base64');
      expect(url.searchParams.get('md5')).toBe(md5.replaceAll('+', '-').replaceAll('/', '_').replaceAll('=', ''));
      // The e-mail hands out the same link.
      const outbox = join(testApp.dataDir, 'outbox');
      const ready = () => readdirSync(outbox).filter((name) => name.endsWith('-s~C3~A9ance~201-download-ready.eml'));
      await expect.poll(ready, { timeout: 10_000 }).toHaveLength(1);
      const message = await simpleParser(readFileSync(join(outbox, ready()[0])));
      expect(message.text).toContain(`Download the video: ${download.downloadUrl}\n`);
      // The service itself ignores the parameters: it checks and answers as for the bare link.
      const answer = await request(testApp.baseUrl).get(signedLinkOf(download)).expect(200);
      expect(answer.headers['x-accel-redirect']).toBe('/internal/downloads/s~C3~A9ance~201/Seance_pleniere.mp4');
    });

    it("nginx sends a signed link's file itself, whole and in parts, with the headers the service sends", async () => {
      const link = signedLinkOf(download);
      const checks = await serviceGets(DOWNLOAD_ROUTE);
      const signedChecks = await serviceGets(SIGNED_DOWNLOAD_ROUTE);
      const whole = await request(nginx.url).get(link).buffer(true).expect(200);
      expect(Buffer.compare(whole.body, file)).toBe(0);
      const checked = await request(nginx.url).get(linkOf(download)).expect(200);
      for (const header of ['content-type', 'content-disposition', 'x-content-type-options', 'content-length']) {
        expect(whole.headers[header], header).toBe(checked.headers[header]);
      }
      expect(whole.headers['content-type']).toBe('video/mp4');
      expect(whole.headers['content-disposition']).toBe('attachment; filename=Seance_pleniere.mp4');
      expect(whole.headers['x-content-type-options']).toBe('nosniff');

      const part = await request(nginx.url).get(link).set('Range', 'bytes=100-199').buffer(true).expect(206);
      expect(part.headers['content-range']).toBe(`bytes 100-199/${file.length}`);
      expect(part.headers['content-type']).toBe('video/mp4');
      expect(part.headers['content-disposition']).toBe('attachment; filename=Seance_pleniere.mp4');
      expect(part.headers['x-content-type-options']).toBe('nosniff');
      expect(Buffer.compare(part.body, file.subarray(100, 200))).toBe(0);
      const ranges = await request(nginx.url).get(link).set('Range', 'bytes=0-9,20-29').buffer(true).expect(200);
      expect(ranges.body.length).toBe(file.length);
      const head = await request(nginx.url).head(link).expect(200);
      expect(head.headers['content-length']).toBe(String(file.length));
      // Other methods are the service's, as for the bare link.
      await request(nginx.url).post(link).expect(404);

      expect(checksOf(link)).toEqual(['signed', 'signed', 'signed', 'signed']);
      // Only the bare link's check (cached or not) may have reached the service.
      expect(await serviceGets(DOWNLOAD_ROUTE)).toBeLessThanOrEqual(checks + 1);
      expect(await serviceGets(SIGNED_DOWNLOAD_ROUTE)).toBe(signedChecks);
    });

    it('signs and sends the file of a content id with any characters: its escaped folder is the path nginx compares', async () => {
      const odd = await completedDownload('odd name', { contentId: 'Sitzung 1: Grüße + "mehr"/../é%41' });
      const link = signedLinkOf(await current(odd.id));
      expect(link).toMatch(
        /^\/signed\/downloads\/Sitzung~201~3A~20Gr~C3~BC~C3~9Fe~20~2B~20~22mehr~22~2F\.\.~2F~C3~A9~2541\//,
      );
      const served = await request(nginx.url).get(link).buffer(true).expect(200);
      expect(served.body.toString()).toBe('odd name');
      expect(checksOf(link)).toEqual(['signed']);
    });

    it('hands a link whose signature it does not make to the service, which checks it as an unsigned link and warns', async () => {
      const link = signedLinkOf(download);
      const { searchParams } = new URL(link, 'http://x');
      const md5 = searchParams.get('md5')!;
      const expires = Number(searchParams.get('expires'));
      const other = await completedDownload('another file');
      const otherLink = signedLinkOf(await current(other.id));
      const forge = (path: string, secret: string) =>
        createHash('md5').update(`${expires}${path} ${secret}`).digest('base64url');
      const foreign = [
        withParameter(link, 'md5', `${md5[0] === 'A' ? 'B' : 'A'}${md5.slice(1)}`),
        withParameter(link, 'expires', String(expires + 86_400)),
        withParameter(link, 'expires', 'soon'),
        // Signed with an earlier secret.
        withParameter(link, 'md5', forge(signedPathOf(download), `${LINK_SECRET}x`)),
        `${signedPathOf(download)}?md5=${md5}`,
        signedPathOf(download),
        // Another download's signature on this one's path.
        `${signedPathOf(download)}${new URL(otherLink, 'http://x').search}`,
      ];
      const warn = vi.spyOn(Logger.prototype, 'warn');
      const warningsIn = (spy: typeof warn) =>
        spy.mock.calls.filter(([message]) => String(message).includes('DOWNLOAD_LINK_SECRET does not make'));
      try {
        // A good signature that nginx hands over (the file is gone) is no reason to warn.
        const deleted = await completedDownload('deleted, its signature good');
        const deletedLink = signedLinkOf(await current(deleted.id));
        await request(nginx.url).delete(`/voddownload/${deleted.id}`).expect(410);
        await request(nginx.url).get(deletedLink).expect(404);
        expect(checksOf(deletedLink)).toEqual(['signed']);
        expect(warningsIn(warn)).toHaveLength(0);

        const answered = await serviceGets(SIGNED_DOWNLOAD_ROUTE);
        for (const attempt of foreign) {
          const served = await request(nginx.url).get(attempt).buffer(true).expect(200);
          expect(Buffer.compare(served.body, file), attempt).toBe(0);
          expect(served.headers['content-disposition']).toBe('attachment; filename=Seance_pleniere.mp4');
          expect(checksOf(attempt)).toEqual(['signed-refused']);
        }
        expect(await serviceGets(SIGNED_DOWNLOAD_ROUTE)).toBe(answered + foreign.length);
        // One warning for them all: a misconfigured nginx would write one per request.
        expect(warningsIn(warn)).toHaveLength(1);
        // A signature gets nothing its path without one would not: no such download is the service's 404.
        const missing = '/signed/downloads/no-such-download/none.mp4';
        const refused = await request(nginx.url)
          .get(`${missing}?expires=${expires}&md5=${forge(missing, 'guess')}`)
          .expect(404);
        expect(refused.body.message).toBe(NO_SUCH_DOWNLOAD);

        // The untouched links go on being nginx's alone.
        await request(nginx.url).get(link).expect(200);
        await request(nginx.url).get(otherLink).expect(200);
        expect(await serviceGets(SIGNED_DOWNLOAD_ROUTE)).toBe(answered + foreign.length);
      } finally {
        warn.mockRestore();
      }
    });

    it('a link signed by an earlier release (/downloads/…?expires=…&md5=…) goes on working, checked by the service', async () => {
      const earlier = await completedDownload('signed by an earlier release');
      const body = await current(earlier.id);
      const link = `${linkOf(body)}${new URL(body.downloadUrl).search}`;
      const checks = await serviceGets(DOWNLOAD_ROUTE);
      const served = await request(nginx.url).get(link).buffer(true).expect(200);
      expect(served.body.toString()).toBe('signed by an earlier release');
      expect(served.headers['content-disposition']).toMatch(/^attachment; filename=/);
      expect(checksOf(link)).toEqual(['MISS']);
      expect(await serviceGets(DOWNLOAD_ROUTE)).toBe(checks + 1);
      // Its query is not looked at: a wrong signature is checked the same way.
      await request(nginx.url)
        .get(withParameter(link, 'md5', 'A'.repeat(22)))
        .expect(200);
    });

    it('an nginx whose secret is left empty sends no signed link itself, even one signed with the empty secret: the service checks each', async () => {
      const unset = await startNginx({
        upstreamPort: Number(new URL(testApp.baseUrl).port),
        downloadsDir: testApp.config.downloadsDir,
        staticDir: testApp.config.distribution.directory,
        accessLog: true,
      });
      try {
        const { searchParams } = new URL(download.downloadUrl);
        const expires = searchParams.get('expires')!;
        const md5 = createHash('md5')
          .update(`${expires}${signedPathOf(download)} `)
          .digest('base64url');
        const emptySigned = `${signedPathOf(download)}?expires=${expires}&md5=${md5}`;
        const answered = await serviceGets(SIGNED_DOWNLOAD_ROUTE);
        for (const link of [emptySigned, signedLinkOf(download)]) {
          const served = await request(unset.url).get(link).buffer(true).expect(200);
          expect(Buffer.compare(served.body, file)).toBe(0);
          expect(checksOf(link, unset)).toEqual(['signed-no-secret']);
        }
        expect(await serviceGets(SIGNED_DOWNLOAD_ROUTE)).toBe(answered + 2);
        // Its unsigned links are checked by the service as ever.
        await request(unset.url).get(linkOf(download)).expect(200);
      } finally {
        await unset.stop();
      }
    });

    it("a deleted download's signed link is 404 at once, with the service's answer", async () => {
      const deleted = await completedDownload('to be deleted, signed');
      const link = signedLinkOf(await current(deleted.id));
      const served = await request(nginx.url).get(link).buffer(true).expect(200);
      expect(served.body.toString()).toBe('to be deleted, signed');
      await request(nginx.url).delete(`/voddownload/${deleted.id}`).expect(410);
      const gone = await request(nginx.url).get(link).expect(404);
      expect(gone.body.message).toBe(NO_SUCH_DOWNLOAD);
      expect(checksOf(link)).toEqual(['signed', 'signed']);
    });

    it("a retried download's signed link does not send the old file: the retry removes it", async () => {
      const retried = await completedDownload('the first signed run');
      const link = signedLinkOf(await current(retried.id));
      await request(nginx.url).get(link).expect(200);
      await request(nginx.url).get(`/voddownload/retry/${retried.id}`).expect(200);
      const during = await request(nginx.url).get(link).buffer(true);
      expect(during.body.toString()).not.toBe('the first signed run');
    });

    it('a signed link is not sent by nginx from its expiry on, cleanup or not: the service answers it, 404', async () => {
      // A download that expires at a whole second 3 to 4 s from now, on the wall clock nginx keeps.
      const expiry = (Math.floor(Date.now() / 1000) + 4) * 1000;
      const expiring = await completedDownload('expiring, signed');
      const completionDate = new Date(expiry - testApp.config.downloadExpiryDays * 86_400_000);
      await testApp.dataSource.getRepository(VodDownload).update(expiring.id, { completionDate });
      const link = signedLinkOf(await current(expiring.id));
      expect(new URL(link, 'http://x').searchParams.get('expires')).toBe(String(expiry / 1000 - 1));

      const refusals = await serviceGets(SIGNED_DOWNLOAD_ROUTE, '404');
      await request(nginx.url).get(link).expect(200);
      await new Promise((resolve) => setTimeout(resolve, expiry - Date.now() + 10));
      const expired = await request(nginx.url).get(link).expect(404);
      expect(expired.body.message).toBe(NO_SUCH_DOWNLOAD);
      expect(checksOf(link)).toEqual(['signed', 'signed-expired']);
      // nginx handed it to the service, which refused it by its expiry: the cleanup has not run.
      expect(await serviceGets(SIGNED_DOWNLOAD_ROUTE, '404')).toBe(refusals + 1);
      expect(existsSync(expiring.path)).toBe(true);
    });
  });
});
