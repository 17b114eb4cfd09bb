import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MetricsController } from '../src/observability/metrics.controller.js';
import { mediaPackageXml, parseJob, waitForJob } from './helpers/distribution.js';
import { generateClip } from './helpers/media.js';
import { sampleOf, scrape } from './helpers/metrics.js';
import { createTestApp, TestApp } from './helpers/test-app.js';

const API_KEY = 'api-key-1';
const TOKEN = 'scrape-token-1';
const auth = { 'X-API-Key': API_KEY };
/** An allowed host where nothing listens: a distribution job fetching from it fails. */
const REFUSING_SOURCE_HOST = { ALLOWED_SOURCE_HOSTS: '127.0.0.1:1' };

describe(MetricsController.name, () => {
  let api: TestApp;
  let worker: TestApp | undefined;
  beforeAll(async () => {
    api = await createTestApp({
      WORKER_ENABLED: 'false',
      API_KEYS: API_KEY,
      METRICS_TOKEN: TOKEN,
      ...REFUSING_SOURCE_HOST,
    });
    generateClip(join(api.config.mediaRoot, 'clip.mp4'));
    writeFileSync(join(api.config.mediaRoot, 'video.mp4'), Buffer.alloc(2048, 5));
  });
  afterAll(async () => {
    await worker?.close();
    await api.close();
  });

  it('answers only with METRICS_TOKEN as Bearer token; an API key does not open it', async () => {
    await request(api.baseUrl).get('/metrics').expect(401);
    await request(api.baseUrl).get('/metrics').set('Authorization', `Bearer ${API_KEY}`).expect(401);
    await request(api.baseUrl).get('/metrics').set(auth).expect(401);
    const text = await scrape(api.baseUrl, TOKEN);
    expect(sampleOf(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(sampleOf(text, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
  });

  it('the API process counts the download it accepted and shows its job queued; the worker-only process reports the run', async () => {
    const event = await request(api.baseUrl)
      .post('/event')
      .set(auth)
      .send({ title: 'Clip', sourceUrl: 'clip.mp4', startTime: null, duration: 2 })
      .expect(201);
    const created = await request(api.baseUrl)
      .post('/voddownload')
      .set(auth)
      .send({ emailAddress: 'viewer@example.com', downloadClips: [{ eventId: event.body.id }] })
      .expect(201);
    let text = await scrape(api.baseUrl, TOKEN);
    expect(sampleOf(text, 'media_delivery_downloads_created_total')).toBe(1);
    expect(sampleOf(text, 'media_delivery_jobs', { kind: 'vod-download.process', state: 'queued' })).toBe(1);
    expect(sampleOf(text, 'media_delivery_jobs', { kind: 'mail.send', state: 'queued' })).toBe(0);
    expect(
      sampleOf(text, 'http_request_duration_seconds_count', { method: 'POST', route: '/voddownload', status: '201' }),
    ).toBe(1);

    worker = await createTestApp(
      { API_ENABLED: 'false', METRICS_TOKEN: TOKEN, ...REFUSING_SOURCE_HOST },
      { dataDir: api.dataDir },
    );
    await request(worker.baseUrl).get('/metrics').expect(401);
    text = await vi.waitFor(
      async () => {
        const scraped = await scrape(worker!.baseUrl, TOKEN);
        expect(sampleOf(scraped, 'media_delivery_emails_total', { outcome: 'sent' })).toBe(1);
        return scraped;
      },
      { timeout: 30_000, interval: 100 },
    );
    expect(sampleOf(text, 'media_delivery_downloads_completed_total')).toBe(1);
    expect(sampleOf(text, 'media_delivery_downloads_failed_total')).toBe(0);
    const run = { kind: 'vod-download.process', outcome: 'completed' };
    expect(sampleOf(text, 'media_delivery_job_duration_seconds_count', run)).toBe(1);
    expect(sampleOf(text, 'media_delivery_job_duration_seconds_sum', run)).toBeGreaterThan(0);
    expect(
      sampleOf(text, 'media_delivery_job_duration_seconds_count', { kind: 'mail.send', outcome: 'completed' }),
    ).toBe(1);
    // The whole 2 s clip, cut by stream copy: its wall time and how many times faster than real time.
    expect(sampleOf(text, 'media_delivery_ffmpeg_cut_seconds_count', { method: 'copy' })).toBe(1);
    const cutSeconds = sampleOf(text, 'media_delivery_ffmpeg_cut_seconds_sum', { method: 'copy' })!;
    const factor = sampleOf(text, 'media_delivery_ffmpeg_realtime_factor_sum', { method: 'copy' })!;
    expect(factor).toBeCloseTo(2 / cutSeconds, 1);
    // Every job row is gone once done, and the worker sees the same table.
    expect(sampleOf(text, 'media_delivery_jobs', { kind: 'vod-download.process', state: 'queued' })).toBe(0);
    expect(sampleOf(text, 'media_delivery_jobs', { kind: 'vod-download.process', state: 'active' })).toBe(0);

    const { body } = await request(api.baseUrl).get(`/voddownload/${created.body.id}`).set(auth).expect(200);
    const file = await request(api.baseUrl).get(new URL(body.downloadUrl).pathname).expect(200);
    const size = statSync(join(api.config.dataDir, body.downloadPath)).size;
    expect(Number(file.headers['content-length'])).toBe(size);
    await request(api.baseUrl).get(new URL(body.downloadUrl).pathname).set('Range', 'bytes=0-99').expect(206);
    // The same file at the path of a signed link (DOWNLOAD_LINK_SECRET) counts too.
    await request(api.baseUrl).get(`/signed/${body.downloadPath}`).set('Range', 'bytes=0-49').expect(206);
    await request(api.baseUrl).get('/downloads/nothing/here.mp4').expect(404);
    text = await scrape(api.baseUrl, TOKEN);
    expect(sampleOf(text, 'media_delivery_download_bytes_served_total')).toBe(size + 100 + 50);
    for (const route of ['/downloads/:folder/:fileName', '/signed/downloads/:folder/:fileName']) {
      expect(sampleOf(text, 'http_request_duration_seconds_count', { method: 'GET', route, status: '206' })).toBe(1);
    }
    expect(sampleOf(text, 'http_request_duration_seconds_count', { method: 'GET', status: '404' })).toBe(1);
    // A path no route has is counted under one name, whatever it was.
    await request(api.baseUrl).get('/no/such/path').expect(404);
    await request(api.baseUrl).delete('/neither').expect(404);
    text = await scrape(api.baseUrl, TOKEN);
    for (const method of ['GET', 'DELETE']) {
      const unmatched = { method, route: 'unmatched', status: '404' };
      expect(sampleOf(text, 'http_request_duration_seconds_count', unmatched), method).toBe(1);
    }
  });

  it('times the requests for published files (/static/) like every other, by their route', async () => {
    const folder = join(api.config.distribution.directory, 'mh_default_org', 'engage-player', 'mp-metrics', 'el-1');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'segment.ts'), Buffer.alloc(300, 1));
    writeFileSync(join(folder, '.segment.ts.tmp'), Buffer.alloc(300, 1));
    const path = '/static/mh_default_org/engage-player/mp-metrics/el-1';
    await request(api.baseUrl).get(`${path}/segment.ts`).expect(200);
    await request(api.baseUrl).head(`${path}/segment.ts`).expect(200);
    await request(api.baseUrl).get(`${path}/.segment.ts.tmp`).expect(404);
    const text = await scrape(api.baseUrl, TOKEN);
    const route = '/static/{*path}';
    expect(sampleOf(text, 'http_request_duration_seconds_count', { method: 'GET', route, status: '200' })).toBe(1);
    expect(sampleOf(text, 'http_request_duration_seconds_count', { method: 'HEAD', route, status: '200' })).toBe(1);
    expect(sampleOf(text, 'http_request_duration_seconds_count', { method: 'GET', route, status: '404' })).toBe(1);
  });

  it('counts distribution jobs by operation and outcome where they run', async () => {
    const submit = (elementId: string) =>
      request(api.baseUrl)
        .post('/distribution/download')
        .set(auth)
        .type('form')
        .send({
          mediapackage: mediaPackageXml({
            id: `mp-${elementId}`,
            elements: [
              { id: 'track-1', url: 'video.mp4' },
              { id: 'track-2', url: 'http://127.0.0.1:1/gone.mp4' },
            ],
          }),
          channelId: 'engage-player',
          elementId,
          checkAvailability: 'false',
        })
        .expect(200);
    const finished = parseJob((await submit('track-1')).text);
    await waitForJob(api.baseUrl, finished.id, 'FINISHED', { headers: auth });
    const failed = parseJob((await submit('track-2')).text);
    await waitForJob(api.baseUrl, failed.id, 'FAILED', { headers: auth });
    const text = await scrape(worker!.baseUrl, TOKEN);
    expect(
      sampleOf(text, 'media_delivery_distribution_jobs_total', { operation: 'Distribute', outcome: 'finished' }),
    ).toBe(1);
    expect(
      sampleOf(text, 'media_delivery_distribution_jobs_total', { operation: 'Distribute', outcome: 'failed' }),
    ).toBe(1);
    // The API process accepted them and ran none.
    expect(sampleOf(await scrape(api.baseUrl, TOKEN), 'media_delivery_distribution_jobs_total')).toBeUndefined();
  });
});
