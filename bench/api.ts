/**
 * npm run bench:api [-- --seconds 5 --rounds 3 --connections 10]
 *
 * Requests/s and p99 latency of GET /voddownload/{id} and POST /voddownload/ on the Nest app,
 * against a bare Express app and a bare node:http server doing the same SQLite work on the same
 * database file. Each server runs in its own process; autocannon drives it from this one.
 * Besides throughput it reports the server's CPU time per request, which stays comparable
 * when other work shares the machine.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import express from 'express';
import { median } from './measure.js';

type Target = 'nest' | 'express' | 'http';
const TARGETS: Target[] = ['http', 'express', 'nest'];

const args = new Map(
  process.argv.slice(2).flatMap((arg, i, all) => (arg.startsWith('--') ? [[arg.slice(2), all[i + 1]]] : [])),
);
const seconds = Number(args.get('seconds') ?? 5);
const rounds = Number(args.get('rounds') ?? 3);
const connections = Number(args.get('connections') ?? 10);

if (process.env.BENCH_SERVER) {
  void serve(process.env.BENCH_SERVER as Target);
} else {
  void main();
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-api-'));
  try {
    // The Nest app creates the schema (migrations) and the data every server reads.
    const seeder = await start('nest', dataDir);
    const eventId = await json(seeder.url, 'POST', '/event', {
      title: 'Bench event',
      sourceUrl: 'bench.mp4',
      duration: 3600,
    });
    const download = await json(seeder.url, 'POST', '/voddownload', postBody(eventId.id));
    stop(seeder.child);

    const results: Record<string, { rps: number[]; p99: number[]; cpu: number[] }> = {};
    for (let round = 0; round < rounds; round++) {
      // Rotate the order so that no server always runs first or last on a warming machine.
      for (const target of TARGETS.map((_, i) => TARGETS[(i + round) % TARGETS.length])) {
        const server = await start(target, dataDir);
        await load(server.url, 'GET', `/voddownload/${download.id}`, 1); // warm-up
        for (const [name, run] of [
          ['GET /voddownload/{id}', () => load(server.url, 'GET', `/voddownload/${download.id}`, seconds)],
          ['POST /voddownload/', () => load(server.url, 'POST', '/voddownload/', seconds, eventId.id)],
        ] as const) {
          const cpuBefore = await cpuTime(server.child);
          const result = await run();
          const cpuMicros = (await cpuTime(server.child)) - cpuBefore;
          const key = `${name}|${target}`;
          results[key] ??= { rps: [], p99: [], cpu: [] };
          results[key].rps.push(result.requests.average);
          results[key].p99.push(result.latency.p99);
          results[key].cpu.push(cpuMicros / (result.requests.total || 1));
        }
        stop(server.child);
      }
    }

    console.log(`\n${rounds} rounds of ${seconds} s, ${connections} connections; medians\n`);
    console.log('endpoint                  server    req/s    p99 ms   CPU µs/request');
    for (const endpoint of ['GET /voddownload/{id}', 'POST /voddownload/']) {
      const of = (target: Target) => results[`${endpoint}|${target}`];
      for (const target of TARGETS) {
        const { rps, p99, cpu } = of(target);
        console.log(
          `${endpoint.padEnd(26)}${target.padEnd(8)}${median(rps).toFixed(0).padStart(8)}${median(p99).toFixed(1).padStart(10)}${median(cpu).toFixed(0).padStart(17)}`,
        );
      }
      const ratio = (a: Target, b: Target, of_: 'rps' | 'cpu') =>
        of_ === 'rps' ? median(of(a).rps) / median(of(b).rps) : median(of(b).cpu) / median(of(a).cpu);
      for (const measure of ['rps', 'cpu'] as const) {
        console.log(
          `  ${measure === 'rps' ? 'req/s ratio         ' : 'requests per CPU-s  '}` +
            `Nest / bare Express: ${ratio('nest', 'express', measure).toFixed(2)}   ` +
            `Nest / bare node:http: ${ratio('nest', 'http', measure).toFixed(2)}   ` +
            `Express / node:http: ${ratio('express', 'http', measure).toFixed(2)}`,
        );
      }
      console.log();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function postBody(eventId: string): Record<string, unknown> {
  return {
    emailAddress: 'bench@example.com',
    downloadClips: [{ eventId, start: '00:01:00', end: '00:02:00', isMasterClip: true }],
  };
}

function load(url: string, method: 'GET' | 'POST', path: string, duration: number, eventId?: string) {
  return autocannon({
    url: url + path,
    method,
    connections,
    duration,
    headers: { 'content-type': 'application/json' },
    // A fresh contentId per request: the same body twice would be a 409.
    requests: eventId
      ? [
          {
            setupRequest: (request) => ({
              ...request,
              body: JSON.stringify({ ...postBody(eventId), contentId: randomUUID() }),
            }),
          },
        ]
      : undefined,
  });
}

async function start(target: Target, dataDir: string): Promise<{ url: string; child: ChildProcess }> {
  const child = fork(fileURLToPath(import.meta.url), [], {
    env: {
      ...process.env,
      BENCH_SERVER: target,
      DATA_DIR: dataDir,
      PORT: '0',
      WORKER_ENABLED: 'false',
      CLEANUP_CRON: 'off',
    },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message) => resolve(Number(message)));
    child.once('exit', (code) => reject(new Error(`${target} server exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

/** The server process's user + system CPU time so far, in microseconds. */
function cpuTime(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (usage) => resolve((usage as NodeJS.CpuUsage).user + (usage as NodeJS.CpuUsage).system));
    child.send('cpu');
  });
}

function stop(child: ChildProcess): void {
  child.kill('SIGKILL');
}

async function json(url: string, method: string, path: string, body: unknown): Promise<Record<string, any>> {
  const response = await fetch(url + path, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response.json() as Promise<Record<string, any>>;
}

// ---- the servers -------------------------------------------------------------------------

async function serve(target: Target): Promise<void> {
  const port = target === 'nest' ? await serveNest() : target === 'express' ? serveExpress() : serveHttp();
  process.send!(await port);
  process.on('message', () => process.send!(process.cpuUsage()));
}

async function serveNest(): Promise<number> {
  const { NestFactory } = await import('@nestjs/core');
  const { AppModule } = await import('../src/app.module.js');
  const { configureApp } = await import('../src/app.setup.js');
  const app = await NestFactory.create<import('@nestjs/platform-express').NestExpressApplication>(AppModule, {
    bodyParser: false,
    logger: ['error'],
  });
  await configureApp(app);
  await app.listen(0, '127.0.0.1');
  return (app.getHttpServer().address() as AddressInfo).port;
}

/** The same reads and writes as the service, straight on better-sqlite3. */
function bareDatabase() {
  const db = new Database(join(process.env.DATA_DIR!, 'app.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const byId = db.prepare('SELECT * FROM vod_download WHERE id = ?');
  const eventById = db.prepare('SELECT id, title, sourceUrl FROM event WHERE id = ?');
  const insertDownload = db.prepare(
    `INSERT INTO vod_download (id, contentId, eventId, downloadPath, emailAddress, creationDate, downloadTaskJson, status, progress, mp4Filename, frameAccurate)
     VALUES (@id, @contentId, @eventId, @downloadPath, @emailAddress, @creationDate, @downloadTaskJson, 'queued', 0, @mp4Filename, 0)`,
  );
  const insertJob = db.prepare(
    `INSERT INTO job (id, name, key, data, status, attempts, runAt, createdAt) VALUES (?, 'vod-download.process', ?, ?, 'queued', 0, ?, ?)`,
  );
  const toIso = (value: string | null) => (value ? new Date(`${value.replace(' ', 'T')}Z`).toISOString() : null);
  const present = (row: Record<string, any>): Record<string, any> => ({
    ...row,
    creationDate: toIso(row.creationDate),
    completionDate: toIso(row.completionDate),
    failureDate: toIso(row.failureDate),
    downloadUrl: null,
    frameAccurate: Boolean(row.frameAccurate),
  });
  const create = db.transaction((body: Record<string, any>) => {
    const clip = body.downloadClips?.[0];
    const event = clip && eventById.get(clip.eventId);
    if (!event || !/^[^@\s]+@[^@\s]+$/.test(body.emailAddress)) return undefined;
    const now = new Date().toISOString().replace('T', ' ').replace('Z', '');
    const contentId = body.contentId ?? randomUUID();
    const row = {
      id: randomUUID(),
      contentId,
      eventId: clip.eventId,
      downloadPath: `downloads/${contentId}/${contentId}.mp4`,
      emailAddress: body.emailAddress,
      creationDate: now,
      downloadTaskJson: JSON.stringify({
        parameters: { content_id: contentId, clips: [{ source: (event as any).sourceUrl }] },
      }),
      mp4Filename: `${contentId}.mp4`,
    };
    insertDownload.run(row);
    insertJob.run(randomUUID(), row.id, JSON.stringify({ downloadId: row.id }), now, now);
    return present(byId.get(row.id) as Record<string, any>);
  });
  return { find: (id: string) => byId.get(id) as Record<string, any> | undefined, present, create };
}

function serveExpress(): Promise<number> {
  const db = bareDatabase();
  const app = express();
  app.set('etag', false);
  app.disable('x-powered-by');
  app.use(express.json({ limit: '10mb' }));
  app.get('/voddownload/:id', (request, response) => {
    const row = db.find(request.params.id);
    if (!row) response.status(204).end();
    else response.json(db.present(row));
  });
  app.post('/voddownload', (request, response) => {
    const created = db.create(request.body);
    if (!created) response.status(400).json({ message: 'bad request' });
    else response.status(201).location(`/voddownload/${created.id}`).json(created);
  });
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function serveHttp(): Promise<number> {
  const db = bareDatabase();
  const send = (response: ServerResponse, status: number, body?: unknown) => {
    const payload = body === undefined ? '' : JSON.stringify(body);
    response.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(payload),
    });
    response.end(payload);
  };
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = request.url ?? '';
    if (request.method === 'GET' && url.startsWith('/voddownload/')) {
      const row = db.find(decodeURIComponent(url.slice('/voddownload/'.length)));
      send(response, row ? 200 : 204, row ? db.present(row) : undefined);
      return;
    }
    if (request.method === 'POST' && url.startsWith('/voddownload')) {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const created = db.create(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        send(response, created ? 201 : 400, created ?? { message: 'bad request' });
      });
      return;
    }
    send(response, 404, { message: 'not found' });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}
