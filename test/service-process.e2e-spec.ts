import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { migrations } from '../src/database/migrations/index.js';
import { mediaPackageXml, parseElementDocuments } from './helpers/distribution.js';
import { BUILT_MAIN, buildOnce } from './helpers/build.js';
import { ServiceProcess, startServiceProcess } from './helpers/service-process.js';
import { sortKeys } from './helpers/sort-keys.js';

const API_KEY = 'key-7f3a9c2e41';
const DIGEST_PASSWORD = 'digest-pass-5b8d';
const DIGEST_RESPONSE = '6629fae49393a05397450978507c4ef1';
const URL_PASSWORD = 'url-pass-2c9e';
const SHUTDOWN_TIMEOUT_MS = 5_000;

describe('The service as a process: logs and graceful shutdown', () => {
  const dataDirs: string[] = [];
  const running: ServiceProcess[] = [];
  const newDataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'media-delivery-process-'));
    dataDirs.push(dir);
    return dir;
  };
  const start = async (env: Record<string, string>, main?: string) => {
    const service = await startServiceProcess({ SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS), ...env }, main);
    running.push(service);
    return service;
  };
  beforeAll(() => buildOnce(), 200_000);
  afterAll(() => {
    for (const service of running) if (service.child.exitCode === null) service.child.kill('SIGKILL');
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  it('runs as the production bundle: every migration on a fresh DATA_DIR, /health, Swagger UI and the committed OpenAPI document', async () => {
    const dataDir = newDataDir();
    const service = await start({ DATA_DIR: dataDir, WORKER_ENABLED: 'false' });
    const api = request(service.baseUrl);
    await api.get('/health').expect(200, { status: 'ok' });
    // TypeORM records a migration by its class name: the bundle must keep the names.
    const database = new Database(join(dataDir, 'app.sqlite'), { readonly: true });
    const applied = database.prepare('SELECT name FROM migrations ORDER BY id').all() as { name: string }[];
    database.close();
    expect(applied.map((row) => row.name)).toEqual(migrations.map((migration) => migration.name));
    // Swagger UI's page and its script, which come from swagger-ui-dist's folder in node_modules.
    expect((await api.get('/docs/').expect(200)).text).toContain('swagger-ui-bundle.js');
    const script = await api.get('/docs/swagger-ui-bundle.js').expect(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    expect(script.text.length).toBeGreaterThan(100_000);
    const document = (await api.get('/docs-json').expect(200)).body;
    expect(`${JSON.stringify(sortKeys(document), null, 2)}\n`).toBe(readFileSync('openapi.json', 'utf8'));
    // The code cache npm run build made was used: main.js says so when it is not.
    expect(service.output()).not.toContain('start-up is slower');
  });

  it('runs the bundle without its code cache when the cache was made from another build, and says so', async () => {
    // A copy beside the real one (node_modules is found the same way), its build renamed: same
    // length, so only the build's name in the first line tells V8's cache does not belong to it.
    const copy = join(dirname(BUILT_MAIN), '..', `bundle-copy-${process.pid}`);
    cpSync(dirname(BUILT_MAIN), copy, { recursive: true });
    try {
      const service = join(copy, 'service.cjs');
      const source = readFileSync(service, 'utf8');
      const firstLine = source.slice(0, source.indexOf('\n'));
      writeFileSync(service, source.replace(firstLine, firstLine.replace(/[0-9a-f]/g, '0')));
      const started = await start({ DATA_DIR: newDataDir(), WORKER_ENABLED: 'false' }, join(copy, 'main.js'));
      await request(started.baseUrl).get('/health').expect(200, { status: 'ok' });
      expect(started.output()).toContain('service.cjs.code-cache is missing or from another build: start-up is slower');
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('logs one JSON line per request (request id, route, status, duration), job lines with their job, and no secret', async () => {
    const dataDir = newDataDir();
    mkdirSync(join(dataDir, 'media'), { recursive: true });
    writeFileSync(join(dataDir, 'media', 'video.mp4'), Buffer.alloc(1024, 1));
    const service = await start({
      DATA_DIR: dataDir,
      API_KEYS: API_KEY,
      OPENCAST_DIGEST_USER: 'opencast_system_account',
      OPENCAST_DIGEST_PASSWORD: DIGEST_PASSWORD,
      // Nothing listens there: fetching from it fails, and the failure names the URL.
      ALLOWED_SOURCE_HOSTS: '127.0.0.1:1',
    });
    const api = request(service.baseUrl);
    await api.get('/voddownload/').set('Authorization', `Bearer ${API_KEY}`).set('X-Request-Id', 'req-42').expect(204);
    const echoed = await api.get('/voddownload/d1').set('X-API-Key', API_KEY).expect(204);
    // Published files too (open to all), found or not.
    const published = join(dataDir, 'static', 'mh_default_org', 'engage-player', 'mp-0', 'track-0');
    mkdirSync(published, { recursive: true });
    writeFileSync(join(published, 'index.m3u8'), '#EXTM3U\n');
    await api.get('/static/mh_default_org/engage-player/mp-0/track-0/index.m3u8').expect(200);
    await api.get('/static/mh_default_org/engage-player/mp-0/track-0/.index.m3u8.tmp').expect(404);
    const generatedId = echoed.headers['x-request-id'];
    expect(generatedId).toMatch(/^[0-9a-f-]{36}$/);
    // An id that could forge log text is replaced.
    const forged = await api.get('/voddownload/').set('X-Request-Id', 'x"} {"level":60').expect(401);
    expect(forged.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    await api
      .post('/distribution/download/distributesync')
      .set(
        'Authorization',
        `Digest username="opencast_system_account", realm="Opencast", nonce="bm9uY2U", uri="/distribution/download/distributesync", response="${DIGEST_RESPONSE}", qop=auth, nc=00000001, cnonce="0a4f113b"`,
      )
      .type('form')
      .send({ mediapackage: '<x/>', channelId: 'c', elementId: 'e' })
      .expect(401);
    // A distribution job whose source URL carries a password: its failure is logged from inside the job.
    const submitted = await api
      .post('/distribution/download')
      .set('X-API-Key', API_KEY)
      .type('form')
      .send({
        mediapackage: mediaPackageXml({
          id: 'mp-1',
          elements: [{ id: 'track-1', url: `http://fetcher:${URL_PASSWORD}@127.0.0.1:1/video.mp4` }],
        }),
        channelId: 'engage-player',
        elementId: 'track-1',
        checkAvailability: 'false',
      })
      .expect(200);
    const jobId = Number(/ id="(\d+)"/.exec(submitted.text)![1]);

    const failure = await vi.waitFor(
      () => {
        const line = service.logLines().find((entry) => /^Distribution job \d+ .* failed/.test(entry.msg ?? ''));
        expect(line).toBeDefined();
        return line!;
      },
      { timeout: 10_000, interval: 50 },
    );
    expect(failure).toMatchObject({
      level: 40,
      job: { kind: 'distribution.run', attempt: 1 },
      distributionJobId: jobId,
    });
    expect(failure.job.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(failure.msg).toContain('http://fetcher:[Redacted]@127.0.0.1:1/video.mp4');

    const requests = service.logLines().filter((entry) => entry.msg === 'request completed');
    expect(requests.find((entry) => entry.requestId === 'req-42')).toMatchObject({
      level: 30,
      req: { method: 'GET', url: '/voddownload/' },
      route: '/voddownload',
      res: { statusCode: 204 },
      responseTime: expect.any(Number),
    });
    expect(requests.find((entry) => entry.requestId === generatedId)).toMatchObject({
      route: '/voddownload/:id',
      res: { statusCode: 204 },
    });
    expect(requests.map((entry) => `${entry.req.method} ${entry.route} ${entry.res.statusCode}`)).toEqual(
      expect.arrayContaining([
        'GET /voddownload 401',
        'POST /distribution/download/distributesync 401',
        'POST /distribution/download 200',
        'GET /static/{*path} 200',
        'GET /static/{*path} 404',
      ]),
    );
    // Probes are counted in /metrics, not logged.
    expect(requests.some((entry) => entry.req.url.startsWith('/health'))).toBe(false);

    const { code } = await service.stop('SIGTERM');
    expect(code).toBe(0);
    const output = service.output();
    for (const secret of [API_KEY, DIGEST_PASSWORD, DIGEST_RESPONSE, URL_PASSWORD])
      expect(output).not.toContain(secret);
  });

  it('on SIGTERM stops accepting connections, lets a slow request finish, and exits 0', async () => {
    const slow = await startSlowSource();
    const service = await start({ DATA_DIR: newDataDir(), ALLOWED_SOURCE_HOSTS: slow.host });
    const port = Number(new URL(service.baseUrl).port);
    const distribution = request(service.baseUrl)
      .post('/distribution/download/distributesync')
      .type('form')
      .send({
        mediapackage: mediaPackageXml({
          id: 'mp-slow',
          elements: [{ id: 'track-1', url: `http://${slow.host}/remote.mp4` }],
        }),
        channelId: 'engage-player',
        elementId: 'track-1',
        checkAvailability: 'false',
      })
      .then((response) => response);
    await slow.requested;
    const stopped = service.stop('SIGTERM');
    await vi.waitFor(() => expect(service.output()).toContain('SIGTERM: no new connections'), { timeout: 5_000 });
    await expect(connectsTo(port)).resolves.toBe(false);
    expect(service.child.exitCode).toBeNull();

    slow.release();
    const response = await distribution;
    expect(response.status).toBe(200);
    expect(parseElementDocuments(response.text)).toHaveLength(1);
    const { code, afterMs } = await stopped;
    expect(code).toBe(0);
    expect(afterMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    await slow.close();
  });

  it('closes a request still running after SHUTDOWN_TIMEOUT_MS and exits 0 all the same', async () => {
    const stalled = await startSlowSource();
    const service = await start({
      DATA_DIR: newDataDir(),
      ALLOWED_SOURCE_HOSTS: stalled.host,
      SHUTDOWN_TIMEOUT_MS: '500',
    });
    const distribution = request(service.baseUrl)
      .post('/distribution/download/distributesync')
      .type('form')
      .send({
        mediapackage: mediaPackageXml({
          id: 'mp-stalled',
          elements: [{ id: 'track-1', url: `http://${stalled.host}/x.mp4` }],
        }),
        channelId: 'engage-player',
        elementId: 'track-1',
        checkAvailability: 'false',
      })
      .then(
        () => 'answered',
        (error: Error) => error.message,
      );
    await stalled.requested;
    const { code, afterMs } = await service.stop('SIGTERM');
    expect(code).toBe(0);
    expect(afterMs).toBeGreaterThanOrEqual(500);
    expect(afterMs).toBeLessThan(3_000);
    expect(await distribution).toBe('socket hang up');
    expect(service.output()).toContain(
      'Requests still running after SHUTDOWN_TIMEOUT_MS=500; closing their connections',
    );
    stalled.release();
    await stalled.close();
  });

  it('on SIGTERM during a cut stops ffmpeg and exits 0; the next process on the same DATA_DIR finishes the download', async () => {
    const dataDir = newDataDir();
    // H.264 with B-frames, cut frame-accurately off the keyframe grid: re-encoded whole, long enough to be caught in the middle.
    mkdirSync(join(dataDir, 'media'), { recursive: true });
    execFileSync('ffmpeg', [
      ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x180:rate=25:duration=60'],
      ...['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=22050:duration=60'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-bf', '2', '-g', '50', '-c:a', 'aac', '-shortest'],
      join(dataDir, 'media', 'long.mp4'),
    ]);
    const first = await start({ DATA_DIR: dataDir });
    const event = await request(first.baseUrl)
      .post('/event')
      .send({ title: 'Long', sourceUrl: 'long.mp4', startTime: null, duration: 60 })
      .expect(201);
    const created = await request(first.baseUrl)
      .post('/voddownload')
      .send({
        emailAddress: 'viewer@example.com',
        frameAccurate: true,
        downloadClips: [{ eventId: event.body.id, start: '00:00:01.5', end: '00:00:59' }],
      })
      .expect(201);
    const id: string = created.body.id;
    await vi.waitFor(
      async () => {
        const { body } = await request(first.baseUrl).get(`/voddownload/${id}`).expect(200);
        expect(body.status).toBe('processing');
        expect(body.progress).toBeGreaterThan(0);
      },
      { timeout: 20_000, interval: 50 },
    );

    const { code, afterMs } = await first.stop('SIGTERM');
    expect(code).toBe(0);
    expect(afterMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    const database = new Database(join(dataDir, 'app.sqlite'), { readonly: true });
    try {
      expect(database.prepare('SELECT status, progress FROM vod_download WHERE id = ?').get(id)).toEqual({
        status: 'queued',
        progress: 0,
      });
      // Handed back untouched: the next run is its first attempt again.
      expect(
        database.prepare("SELECT status, attempts, lockedBy FROM job WHERE name = 'vod-download.process'").all(),
      ).toEqual([{ status: 'queued', attempts: 0, lockedBy: null }]);
    } finally {
      database.close();
    }
    const stopped = first.logLines().find((line) => line.msg?.endsWith('stopped by shutdown; it stays queued'));
    expect(stopped).toMatchObject({ job: { kind: 'vod-download.process', attempt: 1 }, downloadId: id });

    const second = await start({ DATA_DIR: dataDir });
    await vi.waitFor(
      async () => {
        const { body } = await request(second.baseUrl).get(`/voddownload/${id}`).expect(200);
        expect(body.status).toBe('completed');
      },
      { timeout: 60_000, interval: 100 },
    );
    expect((await second.stop('SIGTERM')).code).toBe(0);
    // Its own waits (20 s for the cut to start, 60 s for the second process to finish it) and two
    // process starts do not fit the default 30 s on a busy 2-core machine: it timed out there.
  }, 120_000);
});

/** A source server whose one file is sent only when the test says so. */
async function startSlowSource() {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let requested!: () => void;
  const wasRequested = new Promise<void>((resolve) => (requested = resolve));
  const server: Server = createServer((_req: IncomingMessage, res: ServerResponse) => {
    requested();
    void released.then(() => res.writeHead(200, { 'Content-Length': '3000' }).end(Buffer.alloc(3000, 7)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    requested: wasRequested,
    release,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Whether a new TCP connection to the port is accepted. */
function connectsTo(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
