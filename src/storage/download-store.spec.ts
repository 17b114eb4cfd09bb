import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/app-config.js';
import { DownloadStore } from './download-store.js';

describe(DownloadStore.name, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'download-store-'));
  const store = new DownloadStore(loadConfig({ DATA_DIR: dataDir }));

  it('gives each run a fresh work folder, publishes its MP4 in one step and removes the rest', async () => {
    const earlier = await store.startWork('d1');
    writeFileSync(join(earlier.dir, 'clip-0.ts'), 'left over');
    const work = await store.startWork('d1');
    expect(existsSync(join(work.dir, 'clip-0.ts'))).toBe(false);

    writeFileSync(work.output, 'mp4');
    writeFileSync(join(work.dir, 'clip-0.ts'), 'intermediate');
    const downloadPath = store.downloadPathFor('a b', 'x.mp4');
    await store.publish(work, downloadPath);
    await store.discardWork('d1');

    expect(downloadPath).toBe('downloads/a~20b/x.mp4');
    expect(readFileSync(store.fileToServe(downloadPath), 'utf8')).toBe('mp4');
    expect(store.fileToServe(downloadPath)).toBe(join(dataDir, 'downloads', 'a~20b', 'x.mp4'));
    expect(existsSync(work.dir)).toBe(false);

    await store.removeFolder('a b');
    expect(existsSync(join(dataDir, 'downloads', 'a~20b'))).toBe(false);
  });

  it('keeps every path inside its directory', async () => {
    expect(() => store.fileToServe('downloads/../app.sqlite')).toThrow('outside the downloads directory');
    await expect(store.startWork('../x')).rejects.toThrow('outside the work directory');
    await store.removeFolder('..');
    expect(existsSync(dataDir)).toBe(true);
  });
});
