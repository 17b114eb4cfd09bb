import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScheduleClaims } from '../src/jobs/schedule-claims.js';
import { CLEANUP_JOB_NAME, VodDownloadCleanup } from '../src/vod-download/vod-download.cleanup.js';
import { VodDownload } from '../src/vod-download/vod-download.entity.js';
import { VodDownloadService } from '../src/vod-download/vod-download.service.js';
import { createDownload, registerEvent } from './helpers/factories.js';
import { createTestApp, TestApp } from './helpers/test-app.js';
import { onPostgres } from './helpers/test-database.js';

const DAY = 24 * 60 * 60 * 1000;

/** How TypeORM stores a Date in SQLite: UTC, 'YYYY-MM-DD HH:MM:SS.SSS'. */
const sqliteDate = (date: Date) => date.toISOString().replace('T', ' ').replace('Z', '');

const BULK_COLUMNS = `"id", "contentId", "eventId", "downloadPath", "emailAddress", "creationDate", "completionDate",
  "downloadTaskJson", "status", "progress", "mp4Filename", "frameAccurate"`;
/** Inserts `$1` completed downloads, created and completed at `$2` and `$3`. */
const GENERATE_ON_SQLITE = `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
  INSERT INTO vod_download (${BULK_COLUMNS})
  SELECT printf('00000000-0000-4000-8000-%012d', i), 'bulk-' || i, '00000000-0000-4000-8000-000000000000',
    'downloads/bulk-' || i || '/bulk.mp4', 'bulk@example.com', ?, ?, '{}', 'completed', 100, 'bulk.mp4', 0 FROM n`;
const GENERATE_ON_POSTGRES = `INSERT INTO vod_download (${BULK_COLUMNS})
  SELECT '00000000-0000-4000-8000-' || lpad(i::text, 12, '0'), 'bulk-' || i, '00000000-0000-4000-8000-000000000000',
    'downloads/bulk-' || i || '/bulk.mp4', 'bulk@example.com', $2, $3, '{}', 'completed', 100, 'bulk.mp4', false
  FROM generate_series(0, $1 - 1) AS i`;

describe(VodDownloadCleanup.name, () => {
  let testApp: TestApp;
  // Without a schedule, so that no scheduled run (a tick's claim can still be under way after the
  // job is stopped) deletes what the tests that call the cleanup themselves count.
  let unscheduled: TestApp;
  beforeAll(async () => {
    // Every second, so the test sees a scheduled run.
    testApp = await createTestApp({ CLEANUP_CRON: '* * * * * *', WORKER_ENABLED: 'false' });
    unscheduled = await createTestApp({ WORKER_ENABLED: 'false' });
  });
  afterAll(() => Promise.all([testApp.close(), unscheduled.close()]));

  it('deletes expired downloads on its schedule and keeps the rest', async () => {
    const event = await registerEvent(testApp.baseUrl);
    const expired = await createDownload(testApp.baseUrl, event.id);
    const fresh = await createDownload(testApp.baseUrl, event.id);
    await testApp.dataSource.manager.update(
      VodDownload,
      { id: expired.id },
      { status: 'completed', completionDate: new Date(Date.now() - 8 * DAY) },
    );

    await expect
      .poll(() => testApp.dataSource.manager.existsBy(VodDownload, { id: expired.id }), { timeout: 5000 })
      .toBe(false);
    expect(await testApp.dataSource.manager.existsBy(VodDownload, { id: fresh.id })).toBe(true);
  });

  it('never overlaps itself', async () => {
    const event = await registerEvent(unscheduled.baseUrl);
    const expired = await createDownload(unscheduled.baseUrl, event.id);
    await unscheduled.dataSource.manager.update(
      VodDownload,
      { id: expired.id },
      { failureDate: new Date(Date.now() - 8 * DAY) },
    );

    const cleanup = unscheduled.app.get(VodDownloadCleanup);
    expect(await Promise.all([cleanup.run(), cleanup.run()])).toEqual([1, 0]);
  });

  it('deletes 100,000 expired downloads in batches', async () => {
    const rows = 100_000;
    const completed = new Date(Date.now() - 30 * DAY);
    // Not expired, so it stays.
    await createDownload(unscheduled.baseUrl, (await registerEvent(unscheduled.baseUrl)).id);
    // One statement generates the rows; inserting them one by one would take longer than the deletion.
    await unscheduled.dataSource.query(onPostgres ? GENERATE_ON_POSTGRES : GENERATE_ON_SQLITE, [
      rows,
      ...(onPostgres ? [completed, completed] : [sqliteDate(completed), sqliteDate(completed)]),
    ]);

    const heapBefore = process.memoryUsage().heapUsed;
    const deleted = await unscheduled.app.get(VodDownloadService).deleteExpired(0);
    const heapGrowthMb = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;

    expect(deleted).toBe(rows);
    expect(await unscheduled.dataSource.manager.count(VodDownload, {})).toBe(1);
    // 100,000 entities held at once would take far more than this.
    expect(heapGrowthMb).toBeLessThan(64);
  }, 120_000);
});

describe(ScheduleClaims.name, () => {
  let first: TestApp;
  let second: TestApp;
  beforeAll(async () => {
    first = await createTestApp({ WORKER_ENABLED: 'false' });
    // A second process on the same database, as an API and a worker process would be.
    second = await createTestApp({ WORKER_ENABLED: 'false' }, { dataDir: first.dataDir });
  });
  afterAll(async () => {
    await second.close();
    await first.close();
  });

  it('lets exactly one process take each tick', async () => {
    const tick = new Date('2026-11-24T03:00:00.004Z');
    const sameTickLater = new Date('2026-11-24T03:00:00.350Z');
    const claims = await Promise.all([
      first.app.get(ScheduleClaims).claim(CLEANUP_JOB_NAME, tick),
      second.app.get(ScheduleClaims).claim(CLEANUP_JOB_NAME, sameTickLater),
    ]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await first.app.get(ScheduleClaims).claim(CLEANUP_JOB_NAME, new Date('2026-11-25T03:00:00Z'))).toBe(true);
  });
});
