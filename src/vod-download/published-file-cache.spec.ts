import { describe, expect, it } from 'vitest';
import { PublishedFileCache } from './published-file-cache.js';

const at = (ms: number) => new Date(1_700_000_000_000 + ms);

describe(PublishedFileCache.name, () => {
  const path = 'downloads/folder/a.mp4';

  it('knows a remembered file until the TTL runs out', () => {
    const cache = new PublishedFileCache(2000);
    const file = { path: '/data/downloads/folder/a.mp4', expiresAt: at(1_000_000) };
    expect(cache.fileFor('folder', path, at(0))).toBeUndefined();
    cache.remember('folder', path, file, at(0));
    expect(cache.fileFor('folder', path, at(1999))).toEqual(file);
    expect(cache.fileFor('folder', path, at(2000))).toBeUndefined();
  });

  it("never past the download's expiry, even inside the TTL", () => {
    const cache = new PublishedFileCache(2000);
    cache.remember('folder', path, { path: '/f', expiresAt: at(500) }, at(0));
    expect(cache.fileFor('folder', path, at(499))?.path).toBe('/f');
    expect(cache.fileFor('folder', path, at(500))).toBeUndefined();
  });

  it('forgets a folder at once, and knows only the path it remembered in it', () => {
    const cache = new PublishedFileCache(2000);
    cache.remember('folder', path, { path: '/f', expiresAt: at(10_000) }, at(0));
    expect(cache.fileFor('folder', 'downloads/folder/other.mp4', at(1))).toBeUndefined();
    cache.forget('folder');
    expect(cache.fileFor('folder', path, at(1))).toBeUndefined();
  });
});
