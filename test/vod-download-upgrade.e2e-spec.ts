import 'reflect-metadata';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { loadConfig } from '../src/config/app-config.js';
import { buildDataSourceOptions } from '../src/database/data-source-options.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../src/database/migrations/index.js';
import { VodDownloadClips1764200000000 } from '../src/database/migrations/1764200000000-vod-download-clips.js';
import { createTestApp, TestApp } from './helpers/test-app.js';
import { dropTestDatabase, onPostgres, prepareTestDatabase } from './helpers/test-database.js';

const DOWNLOAD_ID = '0b7f3a56-7a1e-4f4e-9d59-1d1c1f0e0a01';

/** A database from before clips were stored with their download, taken over by this version. */
describe(VodDownloadClips1764200000000.name, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'media-delivery-upgrade-'));
  let testApp: TestApp;

  beforeAll(async () => {
    const config = loadConfig({ ...(await prepareTestDatabase(dataDir)), DATA_DIR: dataDir });
    const before = new DataSource({
      ...buildDataSourceOptions(config),
      migrations: migrations.slice(0, migrations.indexOf(VodDownloadClips1764200000000)),
      migrationsRun: true,
    } as DataSourceOptions);
    await before.initialize();
    const now = new Date().toISOString();
    await before
      .createQueryBuilder()
      .insert()
      .into('vod_download')
      .values({
        id: DOWNLOAD_ID,
        contentId: 'session_2018.10.10',
        eventId: '98f70502-d120-4ee6-991e-7dd67eefe699',
        downloadPath: 'downloads/session_2018.10.10/Plenary.mp4',
        emailAddress: 'viewer@example.com',
        creationDate: now,
        completionDate: now,
        downloadTaskJson: '{}',
        status: 'completed',
        progress: 100,
        mp4Filename: 'Plenary.mp4',
        frameAccurate: onPostgres ? false : 0,
      })
      .execute();
    await before.destroy();
    mkdirSync(join(dataDir, 'downloads', 'session_2018.10.10'), { recursive: true });
    writeFileSync(join(dataDir, 'downloads', 'session_2018.10.10', 'Plenary.mp4'), 'the old file');
    testApp = await createTestApp({ WORKER_ENABLED: 'false' }, { dataDir });
  });

  afterAll(async () => {
    await testApp?.close();
    rmSync(dataDir, { recursive: true, force: true });
    await dropTestDatabase(dataDir);
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
