import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { DistributionJob } from '../src/distribution/distribution-job.entity.js';
import { DistributionJobsService } from '../src/distribution/distribution-jobs.service.js';
import { Job } from '../src/jobs/job.entity.js';
import { mediaPackageXml, parseElementDocuments, parseJob, waitForJob } from './helpers/distribution.js';
import { createTestApp, TestApp } from './helpers/test-app.js';

describe(DistributionJobsService.name, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'distribution-restart-'));
  const apps: TestApp[] = [];
  afterAll(async () => {
    for (const app of apps) await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 503 only when the queue is full, and a restart runs the jobs it had accepted', async () => {
    // An API-only process: it accepts jobs but never runs them.
    const first = await createTestApp({ WORKER_ENABLED: 'false', DISTRIBUTION_MAX_QUEUED_JOBS: '1' }, { dataDir });
    apps.push(first);
    mkdirSync(first.config.mediaRoot, { recursive: true });
    // A relative path: it resolves against MEDIA_ROOT.
    writeFileSync(join(first.config.mediaRoot, 'video.mp4'), Buffer.alloc(2048, 5));
    const fields = {
      mediapackage: mediaPackageXml({ id: 'mp-restart', elements: [{ id: 'track-1', url: 'video.mp4' }] }),
      channelId: 'engage-player',
      elementId: '["track-1"]',
    };

    const accepted = parseJob(
      (await request(first.baseUrl).post('/distribution/download').type('form').send(fields).expect(200)).text,
    );
    expect(accepted.status).toBe('QUEUED');
    const full = await request(first.baseUrl).post('/distribution/download').type('form').send(fields).expect(503);
    expect(full.text).toContain('DISTRIBUTION_MAX_QUEUED_JOBS');
    // Bad input stays a 400 even while the queue is full.
    await request(first.baseUrl)
      .post('/distribution/download')
      .type('form')
      .send({ ...fields, elementId: 'track-9' })
      .expect(400);
    await first.close();
    apps.pop();

    const second = await createTestApp({}, { dataDir });
    apps.push(second);
    const job = await waitForJob(second.baseUrl, accepted.id, 'FINISHED');
    expect(parseElementDocuments(job.payload!)).toHaveLength(1);
    expect(
      existsSync(
        join(second.config.distribution.directory, 'mh_default_org/engage-player/mp-restart/track-1/video.mp4'),
      ),
    ).toBe(true);
  });

  it('finishes, after a restart, a job whose process was killed while it was RUNNING', async () => {
    const killedDir = mkdtempSync(join(tmpdir(), 'distribution-killed-'));
    const first = await createTestApp({ WORKER_ENABLED: 'false' }, { dataDir: killedDir });
    apps.push(first);
    mkdirSync(first.config.mediaRoot, { recursive: true });
    writeFileSync(join(first.config.mediaRoot, 'video.mp4'), Buffer.alloc(2048, 5));
    const fields = {
      mediapackage: mediaPackageXml({ id: 'mp-killed', elements: [{ id: 'track-1', url: 'video.mp4' }] }),
      channelId: 'engage-player',
      elementId: 'track-1',
      checkAvailability: 'false',
    };
    const accepted = parseJob(
      (await request(first.baseUrl).post('/distribution/download').type('form').send(fields).expect(200)).text,
    );
    // What a worker killed mid-run leaves: the job RUNNING, its queue entry claimed with a lease that ran out, a half-written file.
    await first.dataSource.manager.update(
      DistributionJob,
      { id: accepted.id },
      { status: 'RUNNING', dateStarted: new Date(), processingHost: 'dead' },
    );
    await first.dataSource.manager.update(
      Job,
      { key: String(accepted.id) },
      {
        status: 'active',
        attempts: 1,
        lockedBy: 'dead-worker',
        lockedUntil: new Date(Date.now() - 1000),
      },
    );
    const folder = join(first.config.distribution.directory, 'mh_default_org/engage-player/mp-killed/track-1');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, '.video.mp4.0123456789ab.tmp'), 'half');
    await first.close();
    apps.pop();

    const second = await createTestApp({}, { dataDir: killedDir });
    apps.push(second);
    await waitForJob(second.baseUrl, accepted.id, 'FINISHED');
    expect(readFileSync(join(folder, 'video.mp4'))).toEqual(Buffer.alloc(2048, 5));
    await second.close();
    apps.pop();
    rmSync(killedDir, { recursive: true, force: true });
  });
});
