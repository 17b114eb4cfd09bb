import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { Job } from '../src/jobs/job.entity.js';
import { mediaPackageXml, parseJob, waitForJob } from './helpers/distribution.js';
import { registerEvent } from './helpers/factories.js';
import { generateClip } from './helpers/media.js';
import { deleteRedisKeys, TEST_REDIS_URL } from './helpers/redis.js';
import { buildOnce } from './helpers/build.js';
import { ServiceProcess, startServiceProcess } from './helpers/service-processes.js';
import { startSmtpServer, TestSmtpServer } from './helpers/smtp.js';
import { appsOnRedis } from './helpers/test-app.js';
import { dropTestDatabase, openTestDatabase, prepareTestDatabase, testSchemaName } from './helpers/test-database.js';

const DOWNLOADS = 40;
const CLEANUP_LOG = 'Cleanup deleted';

/** What ffprobe says of a file: its format and stream types, or why it cannot read it. */
async function probe(file: string): Promise<{ format: string; streams: string[] } | { error: string }> {
  try {
    const { stdout } = await promisify(execFile)('ffprobe', [
      ...['-v', 'error', '-show_entries', 'format=format_name:stream=codec_type', '-of', 'json', file],
    ]);
    const parsed = JSON.parse(stdout) as { format: { format_name: string }; streams: { codec_type: string }[] };
    return { format: parsed.format.format_name, streams: parsed.streams.map((stream) => stream.codec_type).sort() };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/**
 * Watches the downloads folder while work runs: every file that ever shows there must be a
 * finished, readable MP4 (temporary names belong in work/). Each file is probed once, when first seen.
 */
function watchDownloadsFolder(downloadsDir: string) {
  const probed = new Map<string, Promise<void>>();
  const problems: string[] = [];
  let samples = 0;
  const sample = () => {
    samples++;
    let entries;
    try {
      entries = readdirSync(downloadsDir, { recursive: true, withFileTypes: true });
    } catch {
      return; // not created yet
    }
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      const file = join(entry.parentPath, entry.name);
      if (probed.has(file)) continue;
      const name = relative(downloadsDir, file);
      if (!entry.name.endsWith('.mp4')) problems.push(`${name}: not a finished download's name`);
      probed.set(
        file,
        probe(file).then((result) => {
          const expected = { format: 'mov,mp4,m4a,3gp,3g2,mj2', streams: ['audio', 'video'] };
          if ('error' in result || JSON.stringify(result) !== JSON.stringify(expected)) {
            problems.push(`${name}: ${JSON.stringify(result)} when first seen`);
          }
        }),
      );
    }
  };
  const timer = setInterval(sample, 25);
  return {
    stop: async () => {
      clearInterval(timer);
      sample();
      await Promise.all(probed.values());
      return { problems, samples, files: probed.size };
    },
  };
}

/** The pid of an ffmpeg that `parent` runs right now, if any. */
function ffmpegChildOf(parent: number): number | undefined {
  try {
    return Number(
      execFileSync('pgrep', ['-P', String(parent), '-x', 'ffmpeg'])
        .toString()
        .split('\n')[0],
    );
  } catch {
    return undefined; // pgrep exits 1 when nothing matches
  }
}

/**
 * Production's layout on one machine: 2 API processes and 2 worker processes, each
 * `node dist/bundle/main.js`, on one PostgreSQL schema and one Redis prefix, sharing a data directory,
 * sending e-mail to one SMTP server. In the `postgres` project only, which has both servers.
 */
describe.runIf(appsOnRedis)('Scale-out: 2 API and 2 worker processes on PostgreSQL and BullMQ', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'scale-out-'));
  const redisPrefix = testSchemaName(dataDir);
  let smtp: TestSmtpServer;
  let apis: ServiceProcess[] = [];
  let workers: ServiceProcess[] = [];
  let database: DataSource;

  beforeAll(async () => {
    await buildOnce();
    smtp = await startSmtpServer();
    generateClip(join(dataDir, 'media', 'clip.mp4'), 1);
    writeFileSync(join(dataDir, 'media', 'slides.pdf'), 'a published element');
    const env = {
      ...(await prepareTestDatabase(dataDir)),
      DATA_DIR: dataDir,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: redisPrefix,
      SMTP_URL: smtp.url,
      JOB_LEASE_MS: '2000',
      JOB_RELAY_INTERVAL_MS: '1000',
      WORKER_CONCURRENCY: '2',
      CLEANUP_CRON: '* * * * * *',
    };
    // The first API process migrates the schema; the others start on it together.
    const first = await startServiceProcess({ ...env, WORKER_ENABLED: 'false' });
    const publicUrl = { PUBLIC_URL: first.url };
    const others = await Promise.all([
      startServiceProcess({ ...env, ...publicUrl, WORKER_ENABLED: 'false' }),
      startServiceProcess({ ...env, ...publicUrl, API_ENABLED: 'false' }),
      startServiceProcess({ ...env, ...publicUrl, API_ENABLED: 'false' }),
    ]);
    apis = [first, others[0]];
    workers = others.slice(1);
    database = await openTestDatabase(dataDir);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([...apis, ...workers].map((process) => process.stop()));
    await database?.destroy();
    await smtp?.close();
    await deleteRedisKeys(redisPrefix);
    await dropTestDatabase(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('completes every download exactly once, across both APIs, with a worker killed while ffmpeg runs', async () => {
    onTestFailed(async () => {
      const rows = await database.manager.find(Job, { where: { status: 'active' } });
      console.error(`Jobs still active: ${JSON.stringify(rows, null, 1)}`);
      const recipients = smtp.messages.map((message) => JSON.stringify(message.to));
      const twice = created.filter(({ email }) => recipients.filter((to) => to.includes(email)).length > 1);
      for (const [i, process] of [...apis, ...workers].entries()) {
        const notable = process.lines.filter(
          (line) => /WARN|ERROR/.test(line) || twice.some(({ id }) => line.includes(id)),
        );
        console.error(`Process ${i} (pid ${process.child.pid}):\n${notable.slice(-30).join('\n')}`);
      }
    });
    const events = await Promise.all(
      apis.map((api) => registerEvent(api.url, { sourceUrl: 'clip.mp4', startTime: null, duration: 1 })),
    );
    const watcher = watchDownloadsFolder(join(dataDir, 'downloads'));
    const created: { id: string; email: string }[] = [];
    for (let i = 0; i < DOWNLOADS; i++) {
      const api = apis[i % 2];
      const email = `viewer-${i}@example.com`;
      const { body } = await request(api.url)
        .post('/voddownload')
        .send({ emailAddress: email, contentId: `scale-${i}`, downloadClips: [{ eventId: events[i % 2].id }] })
        .expect(201);
      created.push({ id: body.id, email });
    }

    const [doomed, survivor] = workers;
    let ffmpeg: number | undefined;
    await expect
      .poll(() => (ffmpeg = ffmpegChildOf(doomed.child.pid!)), { timeout: 20_000, interval: 10 })
      .toBeDefined();
    doomed.child.kill('SIGKILL');

    await expect
      .poll(
        async () => {
          const statuses = await Promise.all(
            created.map(
              async ({ id }, i) => (await request(apis[(i + 1) % 2].url).get(`/voddownload/${id}`)).body.status,
            ),
          );
          return statuses.filter((status) => status !== 'completed');
        },
        // Well under a minute on an idle 2-core machine; much longer when it is shared.
        { timeout: 150_000, interval: 250 },
      )
      .toEqual([]);
    // The e-mails are jobs of their own, queued as each download completes: after the last one up to
    // all 40 can still be waiting for the one surviving worker (2 at a time), one of them perhaps for
    // the killed worker's lease to run out. This test is about exactly once, not about speed.
    await smtp.waitForMessages(DOWNLOADS, 60_000);
    // Time for a second run of any job to send a second e-mail.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const folder = await watcher.stop();

    expect(ffmpeg, 'an ffmpeg of the killed worker').toBeGreaterThan(0);
    // SMTP cannot be made atomic with the job's completion: a worker killed after the server took
    // a message but before the job was marked done sends it again. Such a copy has the message's
    // own Message-ID, so mail clients show one message; only the jobs the killed worker held
    // (2 mail jobs at once) can do it.
    const copies = new Map<string, number>();
    for (const { messageId } of smtp.messages) copies.set(messageId!, (copies.get(messageId!) ?? 0) + 1);
    expect(copies.size).toBe(DOWNLOADS);
    expect(smtp.messages.length - copies.size).toBeLessThanOrEqual(2);
    for (const { email } of created) {
      const theirs = smtp.messages.filter((message) => JSON.stringify(message.to).includes(`"${email}"`));
      expect(new Set(theirs.map((message) => message.messageId)).size, email).toBe(1);
      expect(theirs[0].subject).toMatch(/^Your download is ready: /);
    }
    expect(await database.manager.count(Job)).toBe(0);
    expect(folder.problems).toEqual([]);
    expect(folder.files).toBe(DOWNLOADS);
    expect(folder.samples).toBeGreaterThan(20);
    // The survivor took over what the killed worker held, and served none of it twice.
    expect(survivor.child.exitCode).toBeNull();
    const { body } = await request(apis[1].url).get(`/voddownload/${created[0].id}`).expect(200);
    await request(apis[1].url).get(new URL(body.downloadUrl).pathname).expect(200).expect('Content-Type', 'video/mp4');
  }, 200_000);

  it('runs the cleanup once per tick across the processes', async () => {
    const runs = () => [...apis, ...workers].reduce((sum, process) => sum + process.linesWith(CLEANUP_LOG).length, 0);
    const before = runs();
    const startedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    const ticks = Math.ceil((Date.now() - startedAt) / 1000);
    const during = runs() - before;
    // Every process runs the schedule; one run per tick in all, give or take the tick under way.
    expect(during).toBeGreaterThanOrEqual(ticks - 2);
    expect(during).toBeLessThanOrEqual(ticks + 1);
  });

  it('polls a distribution job posted to one API through the other', async () => {
    const mediapackage = mediaPackageXml({
      id: 'scale-out-mp',
      elements: [
        {
          id: 'slides',
          kind: 'attachment',
          mimetype: 'application/pdf',
          url: pathToFileURL(join(dataDir, 'media', 'slides.pdf')).href,
        },
      ],
    });
    const posted = await request(apis[0].url)
      .post('/distribution/download/')
      .type('form')
      .send({ mediapackage, channelId: 'engage-player', elementId: 'slides', checkAvailability: 'false' })
      .expect(200);
    const job = await waitForJob(apis[1].url, parseJob(posted.text).id, 'FINISHED', { timeout: 20_000 });
    expect(job.payload).toContain('/static/mh_default_org/engage-player/scale-out-mp/slides/slides.pdf');
    const served = await request(apis[1].url)
      .get('/static/mh_default_org/engage-player/scale-out-mp/slides/slides.pdf')
      .buffer(true)
      .expect(200);
    expect(Buffer.from(served.body).toString()).toBe('a published element');
  });
});
