import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { DistributionJobsService } from '../src/distribution/distribution-jobs.service.js';
import { mediaPackageXml, parseElementDocuments, parseJob } from './helpers/distribution.js';
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

    const accepted = parseJob((await request(first.baseUrl).post('/distribution/download').type('form').send(fields).expect(200)).text);
    expect(accepted.status).toBe('QUEUED');
    const full = await request(first.baseUrl).post('/distribution/download').type('form').send(fields).expect(503);
    expect(full.text).toContain('DISTRIBUTION_MAX_QUEUED_JOBS');
    // Bad input stays a 400 even while the queue is full.
    await request(first.baseUrl).post('/distribution/download').type('form').send({ ...fields, elementId: 'track-9' }).expect(400);
    await first.close();
    apps.pop();

    const second = await createTestApp({}, { dataDir });
    apps.push(second);
    const deadline = Date.now() + 10_000;
    let job = accepted;
    while (job.status !== 'FINISHED' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      job = parseJob((await request(second.baseUrl).get(`/services/job/${accepted.id}.xml`).expect(200)).text);
      expect(job.status).not.toBe('FAILED');
    }
    expect(job.status).toBe('FINISHED');
    expect(parseElementDocuments(job.payload!)).toHaveLength(1);
    expect(existsSync(join(second.config.distribution.directory, 'mh_default_org/engage-player/mp-restart/track-1/video.mp4'))).toBe(true);
  });
});
