import 'reflect-metadata';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../src/database/migrations/index.js';
import { VodDownloadClips1764200000000 } from '../src/database/migrations/1764200000000-vod-download-clips.js';
import { createTestApp, TestApp } from './helpers/test-app.js';

const DOWNLOAD_ID = '0b7f3a56-7a1e-4f4e-9d59-1d1c1f0e0a01';

/** A database from before clips were stored with their download, taken over by this version. */
describe(VodDownloadClips1764200000000.name, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'media-delivery-upgrade-'));
  let testApp: TestApp;

  beforeAll(async () => {
    const before = new DataSource({
      type: 'better-sqlite3',
      database: join(dataDir, 'app.sqlite'),
      migrations: migrations.slice(0, migrations.indexOf(VodDownloadClips1764200000000)),
      migrationsRun: true,
      prepareDatabase: (db: { pragma(statement: string): unknown }) => void db.pragma('foreign_keys = ON'),
    });
    await before.initialize();
    const now = new Date().toISOString();
    await before.query(
      `INSERT INTO vod_download (id, contentId, eventId, downloadPath, emailAddress, creationDate, completionDate,
        downloadTaskJson, status, progress, mp4Filename, frameAccurate)
       VALUES (?, 'session_2018.10.10', '98f70502-d120-4ee6-991e-7dd67eefe699',
        'downloads/session_2018.10.10/Plenary.mp4', 'viewer@example.com', ?, ?, '{}', 'completed', 100, 'Plenary.mp4', 0)`,
      [DOWNLOAD_ID, now, now],
    );
    await before.destroy();
    mkdirSync(join(dataDir, 'downloads', 'session_2018.10.10'), { recursive: true });
    writeFileSync(join(dataDir, 'downloads', 'session_2018.10.10', 'Plenary.mp4'), 'the old file');
    testApp = await createTestApp({ WORKER_ENABLED: 'false' }, { dataDir });
  });

  afterAll(async () => {
    await testApp?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps an existing download, its path and its link', async () => {
    const found = await request(testApp.baseUrl).get(`/voddownload/${DOWNLOAD_ID}`).expect(200);
    expect(found.body).toMatchObject({
      contentId: 'session_2018.10.10',
      downloadPath: 'downloads/session_2018.10.10/Plenary.mp4',
      status: 'completed',
    });
    const served = await request(found.body.downloadUrl).get('').buffer(true).expect(200);
    expect(served.body.toString()).toBe('the old file');
    expect(await testApp.dataSource.query('SELECT * FROM vod_download_clip')).toEqual([]);
  });
});
