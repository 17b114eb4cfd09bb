import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { copySqliteToPostgres } from '../src/database/copy-database.js';
import { DistributionJob } from '../src/distribution/distribution-job.entity.js';
import { runEntryPoint } from './helpers/entry-point.js';
import { createDownload, registerEvent } from './helpers/factories.js';
import { createTestApp } from './helpers/test-app.js';
import { dropTestDatabase, onPostgres, prepareTestDatabase } from './helpers/test-database.js';

const SQLITE = { DATABASE_URL: '' };

describe.runIf(onPostgres)(copySqliteToPostgres.name, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'copy-database-'));
  afterAll(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await dropTestDatabase(dataDir);
  });

  it('moves a SQLite deployment to PostgreSQL with its ids, dates and queued work, once', async () => {
    const before = await createTestApp({ ...SQLITE, WORKER_ENABLED: 'false' }, { dataDir });
    const event = await registerEvent(before.baseUrl);
    const download = await createDownload(before.baseUrl, event.id, { frameAccurate: true });
    await before.dataSource.getRepository(DistributionJob).insert({
      id: 41,
      operation: 'Distribute',
      status: 'FINISHED',
      argsJson: '[]',
      payload: '<track/>',
      failureReason: null,
      creator: 'admin',
      organization: 'mh_default_org',
      createdHost: 'http://opencast',
      processingHost: 'http://opencast',
      dateCreated: new Date('2026-11-30T10:00:00.123Z'),
      dateStarted: new Date('2026-11-30T10:00:01.000Z'),
      dateCompleted: new Date('2026-11-30T10:00:02.000Z'),
    });
    const distributionJob = (await request(before.baseUrl).get('/services/job/41.json').expect(200)).body;
    await before.close();

    const env = { ...(await prepareTestDatabase(dataDir)), DATA_DIR: dataDir };
    const copy = await runEntryPoint('src/database/copy-sqlite-to-postgres.ts', env);
    expect(copy).toMatchObject({ code: 0, stderr: '' });
    expect(copy.stdout.trim().split('\n')).toEqual([
      'job: 1 row(s) copied',
      'schedule_claim: 0 row(s) copied',
      'event: 1 row(s) copied',
      'vod_download: 1 row(s) copied',
      'vod_download_clip: 1 row(s) copied',
      'distribution_job: 1 row(s) copied',
    ]);

    const after = await createTestApp({ WORKER_ENABLED: 'false' }, { dataDir });
    try {
      expect(after.config.databaseUrl).toBeDefined();
      const api = request(after.baseUrl);
      expect((await api.get(`/event/${event.id}`).expect(200)).body).toEqual(event);
      expect((await api.get(`/voddownload/${download.id}`).expect(200)).body).toEqual(download);
      // Only the host differs: each test app listens on a port of its own.
      expect((await api.get('/services/job/41.json').expect(200)).body).toEqual({
        job: { ...distributionJob.job, url: `${after.baseUrl}/services/job/41.xml` },
      });
      // The download's job came along, so the worker that starts on PostgreSQL cuts it.
      expect(await after.dataSource.query('SELECT key, status FROM job')).toEqual([
        { key: download.id, status: 'queued' },
      ]);
      // New distribution jobs are numbered after the copied ones.
      const next = await after.dataSource.getRepository(DistributionJob).save({
        operation: 'Retract',
        status: 'QUEUED',
        argsJson: '[]',
        payload: null,
        failureReason: null,
        creator: 'admin',
        organization: 'mh_default_org',
        createdHost: 'http://opencast',
        processingHost: null,
        dateCreated: new Date(),
        dateStarted: null,
        dateCompleted: null,
      });
      expect(next.id).toBe(42);
    } finally {
      await after.app.close();
    }

    expect(await runEntryPoint('src/database/copy-sqlite-to-postgres.ts', env)).toMatchObject({
      code: 69,
      stderr: 'Not copying: table job of DATABASE_URL already has rows\n',
    });
  });
});
