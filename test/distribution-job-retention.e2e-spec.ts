import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DistributionJobRetention } from '../src/distribution/distribution-job-retention.js';
import { DistributionJob, DistributionJobStatus } from '../src/distribution/distribution-job.entity.js';
import { JobRetention } from '../src/jobs/job-retention.js';
import { createTestApp, TestApp } from './helpers/test-app.js';

const DAY = 24 * 60 * 60 * 1000;

describe(DistributionJobRetention.name, () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp({ WORKER_ENABLED: 'false', JOB_RETENTION_DAYS: '7' });
  });
  afterAll(() => testApp.close());

  async function insertJob(status: DistributionJobStatus, endedDaysAgo: number | null): Promise<number> {
    const now = Date.now();
    const job = await testApp.dataSource.manager.save(DistributionJob, {
      operation: 'Distribute',
      status,
      argsJson: '[]',
      payload: null,
      failureReason: null,
      creator: 'admin',
      organization: 'mh_default_org',
      createdHost: testApp.baseUrl,
      processingHost: null,
      dateCreated: new Date(now - 40 * DAY),
      dateStarted: null,
      dateCompleted: endedDaysAgo === null ? null : new Date(now - endedDaysAgo * DAY),
    });
    return job.id;
  }

  it('deletes the jobs that ended over JOB_RETENTION_DAYS ago and keeps the others answerable', async () => {
    const oldFinished = await insertJob('FINISHED', 30);
    const oldFailed = await insertJob('FAILED', 8);
    const recentFinished = await insertJob('FINISHED', 6);
    // Unfinished jobs stay, however old: Opencast is still waiting for them.
    const queued = await insertJob('QUEUED', null);
    const running = await insertJob('RUNNING', null);

    // The job table is empty: every deletion is a distribution job's.
    expect(await testApp.app.get(JobRetention).pruneEnded()).toBe(2);

    for (const id of [oldFinished, oldFailed]) {
      await request(testApp.baseUrl).get(`/services/job/${id}.xml`).expect(404);
    }
    for (const id of [recentFinished, queued, running]) {
      await request(testApp.baseUrl).get(`/services/job/${id}.xml`).expect(200);
    }
  });
});
