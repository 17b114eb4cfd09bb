/**
 * npm run bench:scale [-- --clips 20 --clip-seconds 30 --samples 10 --seconds 5]
 *
 * The scale-out stack as deployed, each process `node dist/src/main.js`:
 * 1. a batch of frame-accurate clips from a generated B-frame source (re-encoded whole), made by
 *    1 and then 2 worker processes (WORKER_CONCURRENCY=1) behind one API process, on PostgreSQL
 *    and BullMQ: wall time from the first POST to the last completion;
 * 2. enqueue-to-start latency on each queue (the database queue, default JOB_POLL_INTERVAL_MS, and
 *    BullMQ): from the POST's answer until GET /voddownload/{id} no longer says `queued`
 *    (polled every 5 ms), with the worker in a process of its own;
 * 3. requests/s of GET /voddownload/{id} and POST /voddownload/ on one API process, on SQLite,
 *    PostgreSQL, and PostgreSQL with BullMQ (autocannon, 10 connections).
 * Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://root@127.0.0.1:5432/test) and Redis
 * (BENCH_REDIS_URL, default redis://127.0.0.1:6379); it works in a schema and a key prefix of
 * its own and removes both at the end.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import pg from 'pg';
import { freePort, median } from './measure.js';

const args = new Map(
  process.argv.slice(2).flatMap((arg, i, all) => (arg.startsWith('--') ? [[arg.slice(2), all[i + 1]]] : [])),
);
const clips = Number(args.get('clips') ?? 20);
const clipSeconds = Number(args.get('clip-seconds') ?? 30);
const samples = Number(args.get('samples') ?? 10);
const loadSeconds = Number(args.get('seconds') ?? 5);
const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/test';
const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'main.js');
const cacheDir = join(tmpdir(), 'media-delivery-bench');
const SOURCE = 'source-bframes-360p-300s.mp4';
const SOURCE_SECONDS = 300;
const run = randomBytes(4).toString('hex');
const schema = `bench_scale_${run}`;
const redisPrefix = `bench-scale-${run}`;

interface Service {
  url: string;
  child: ChildProcess;
}

type Stack = 'sqlite' | 'postgres' | 'postgres+bullmq';

async function main(): Promise<void> {
  ensureSource();
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-scale-'));
  await withDatabase((client) => client.query(`CREATE SCHEMA ${schema}`));
  const running: Service[] = [];
  const start = async (stack: Stack, env: Record<string, string>) => {
    const service = await startService(stackEnv(stack, dataDir, env));
    running.push(service);
    return service;
  };
  const stopAll = () => Promise.all(running.splice(0).map(stop));
  try {
    console.log(`Batch: ${clips} frame-accurate ${clipSeconds} s clips of a 640x360 25 fps H.264 source with B-frames`);
    const batch: Record<number, number> = {};
    for (const workers of [1, 2]) {
      const api = await start('postgres+bullmq', { WORKER_ENABLED: 'false' });
      for (let i = 0; i < workers; i++)
        await start('postgres+bullmq', { API_ENABLED: 'false', WORKER_CONCURRENCY: '1' });
      batch[workers] = await timeBatch(api.url);
      await stopAll();
      console.log(`  ${workers} worker process(es): ${(batch[workers] / 1000).toFixed(1)} s`);
    }
    console.log(`  speed-up with 2 workers: ${(batch[1] / batch[2]).toFixed(2)}x (2 cores: 2x is the ceiling)\n`);

    console.log(`Enqueue-to-start latency, ${samples} downloads one after another (median, max)`);
    for (const stack of ['postgres', 'postgres+bullmq'] as const) {
      const api = await start(stack, { WORKER_ENABLED: 'false' });
      await start(stack, { API_ENABLED: 'false' });
      const latencies = await enqueueToStart(api.url);
      await stopAll();
      const queue = stack === 'postgres' ? 'database queue (JOB_POLL_INTERVAL_MS=1000)' : 'BullMQ';
      console.log(
        `  ${queue.padEnd(44)}${median(latencies).toFixed(0).padStart(6)} ms${max(latencies).toFixed(0).padStart(7)} ms`,
      );
    }

    console.log(`\nRequests/s on one API process, ${loadSeconds} s each, 10 connections`);
    console.log(`  ${'stack'.padEnd(18)}GET /voddownload/{id}   POST /voddownload/`);
    for (const stack of ['sqlite', 'postgres', 'postgres+bullmq'] as const) {
      const api = await start(stack, { WORKER_ENABLED: 'false' });
      const eventId = await registerEvent(api.url);
      const download = await post(api.url, downloadBody(eventId, 1, false));
      await load(api.url, 'GET', `/voddownload/${download.id}`, 1); // warm-up
      const get = await load(api.url, 'GET', `/voddownload/${download.id}`, loadSeconds);
      const create = await load(api.url, 'POST', '/voddownload/', loadSeconds, eventId);
      await stopAll();
      console.log(`  ${stack.padEnd(18)}${get.toFixed(0).padStart(21)}${create.toFixed(0).padStart(21)}`);
    }
  } finally {
    await stopAll();
    await withDatabase((client) => client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
    await deleteRedisKeys();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function stackEnv(stack: Stack, dataDir: string, env: Record<string, string>): Record<string, string> {
  const postgres = new URL(databaseUrl);
  postgres.searchParams.set('schema', schema);
  return {
    // SQLite keeps its file in a data directory of its own; the PostgreSQL stacks share the schema.
    DATA_DIR: stack === 'sqlite' ? join(dataDir, 'sqlite') : dataDir,
    MEDIA_ROOT: cacheDir,
    CLEANUP_CRON: 'off',
    ...(stack === 'sqlite' ? {} : { DATABASE_URL: postgres.toString() }),
    ...(stack === 'postgres+bullmq' ? { REDIS_URL: redisUrl, REDIS_PREFIX: redisPrefix } : {}),
    ...env,
  };
}

/** Wall time of the batch, from the first POST to the last download completed, in ms. */
async function timeBatch(apiUrl: string): Promise<number> {
  const eventId = await registerEvent(apiUrl);
  const started = performance.now();
  const ids: string[] = [];
  for (let i = 0; i < clips; i++) ids.push((await post(apiUrl, downloadBody(eventId, i, true))).id);
  for (const id of ids) await waitUntil(apiUrl, id, (status) => status === 'completed', 200);
  return performance.now() - started;
}

async function enqueueToStart(apiUrl: string): Promise<number[]> {
  const eventId = await registerEvent(apiUrl);
  const latencies: number[] = [];
  for (let i = 0; i < samples; i++) {
    const { id } = await post(apiUrl, {
      ...downloadBody(eventId, i, false),
      downloadClips: [{ eventId, start: '00:00:10', end: '00:00:12' }],
    });
    const accepted = performance.now();
    await waitUntil(apiUrl, id, (status) => status !== 'queued', 5);
    latencies.push(performance.now() - accepted);
    await waitUntil(apiUrl, id, (status) => status === 'completed', 50);
    // Off the poll's phase, so the database queue's wait is sampled across its interval.
    await new Promise((resolve) => setTimeout(resolve, 137));
  }
  return latencies;
}

function downloadBody(eventId: string, i: number, frameAccurate: boolean): Record<string, unknown> {
  // Starts off the 2 s keyframe grid, spread over the source.
  const start = ((i * 13.37) % (SOURCE_SECONDS - clipSeconds - 1)) + 0.52;
  return {
    emailAddress: 'bench@example.com',
    contentId: randomUUID(),
    frameAccurate,
    downloadClips: [{ eventId, start: elapsed(start), end: elapsed(start + clipSeconds) }],
  };
}

function elapsed(seconds: number): string {
  const pad = (n: number, width = 2) => String(Math.floor(n)).padStart(width, '0');
  const millis = Math.round((seconds % 1) * 1000);
  return `${pad(seconds / 3600)}:${pad((seconds % 3600) / 60)}:${pad(seconds % 60)}.${pad(millis, 3)}`;
}

async function registerEvent(apiUrl: string): Promise<string> {
  const event = await json(apiUrl, 'POST', '/event', { title: 'Bench', sourceUrl: SOURCE, duration: SOURCE_SECONDS });
  return event.id as string;
}

function post(apiUrl: string, body: Record<string, unknown>): Promise<Record<string, any>> {
  return json(apiUrl, 'POST', '/voddownload', body);
}

async function waitUntil(apiUrl: string, id: string, done: (status: string) => boolean, intervalMs: number) {
  for (;;) {
    const { status, failureReason } = await json(apiUrl, 'GET', `/voddownload/${id}`);
    if (status === 'failed') throw new Error(`Download ${id} failed: ${failureReason}`);
    if (done(status)) return;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

async function load(url: string, method: 'GET' | 'POST', path: string, duration: number, eventId?: string) {
  const result = await autocannon({
    url: url + path,
    method,
    connections: 10,
    duration,
    headers: { 'content-type': 'application/json' },
    requests: eventId
      ? [{ setupRequest: (request) => ({ ...request, body: JSON.stringify(downloadBody(eventId, 0, false)) }) }]
      : undefined,
  });
  if (result.non2xx > 0) throw new Error(`${method} ${path}: ${result.non2xx} answers were not 2xx`);
  return result.requests.average;
}

async function startService(env: Record<string, string>): Promise<Service> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH, NO_COLOR: '1', ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let tries = 0; ; tries++) {
    if (child.exitCode !== null) throw new Error(`A service process exited with ${child.exitCode}`);
    if (
      (await fetch(`${url}/health`).then(
        (response) => response.status,
        () => 0,
      )) === 200
    )
      return { url, child };
    if (tries > 300) throw new Error(`${url} did not become healthy`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function stop({ child }: Service): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

async function json(url: string, method: string, path: string, body?: unknown): Promise<Record<string, any>> {
  const response = await fetch(url + path, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response.json() as Promise<Record<string, any>>;
}

function ensureSource(): void {
  const file = join(cacheDir, SOURCE);
  if (existsSync(file)) return;
  mkdirSync(cacheDir, { recursive: true });
  console.log(`Generating ${file} (once; cached)…`);
  const lavfi = (graph: string) => ['-f', 'lavfi', '-i', graph];
  execFileSync('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y'],
    ...lavfi(`testsrc2=size=640x360:rate=25:duration=${SOURCE_SECONDS}`),
    ...lavfi(`sine=frequency=440:sample_rate=48000:duration=${SOURCE_SECONDS}`),
    ...['-c:v', 'libx264', '-preset', 'veryfast', '-bf', '3', '-g', '50', '-keyint_min', '50', '-sc_threshold', '0'],
    ...['-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '96k', '-movflags', '+faststart', file],
  ]);
}

async function withDatabase(work: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

async function deleteRedisKeys(): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    const keys = await redis.keys(`${redisPrefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

const max = (values: number[]) => Math.max(...values);

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
