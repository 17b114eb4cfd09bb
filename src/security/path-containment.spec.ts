import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { insideRoot, realPathInsideRoot } from './path-containment.js';

describe('insideRoot', () => {
  it('names the root it guards', () => {
    expect(() => insideRoot('../x', '/srv/static', '../x', 'the distribution directory')).toThrow(
      '../x is outside the distribution directory /srv/static',
    );
    expect(() => insideRoot('../x', '/srv/media')).toThrow('../x is outside the media root /srv/media');
  });
});

describe('realPathInsideRoot', () => {
  it('refuses a link inside the root that points outside it', async () => {
    const base = mkdtempSync(join(tmpdir(), 'locator-'));
    const mediaRoot = join(base, 'media');
    mkdirSync(mediaRoot);
    writeFileSync(join(base, 'secret.txt'), 'secret');
    writeFileSync(join(mediaRoot, 'ok.mp4'), 'video');
    symlinkSync(join(base, 'secret.txt'), join(mediaRoot, 'link.mp4'));

    await expect(realPathInsideRoot(join(mediaRoot, 'ok.mp4'), mediaRoot)).resolves.toBe(join(mediaRoot, 'ok.mp4'));
    await expect(realPathInsideRoot(join(mediaRoot, 'link.mp4'), mediaRoot)).rejects.toThrow('outside the media root');
  });
});
