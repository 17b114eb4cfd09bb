import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  insideRoot,
  locateSource,
  parseAllowedHost,
  realPathInsideRoot,
  SourceNotAllowedError,
} from './source-locator.js';

const root = '/srv/media';
const hosts = ['origin.example.com', '127.0.0.1:8080'];

describe('locateSource', () => {
  it('resolves paths and file: URLs inside the media root', () => {
    expect(locateSource('plenary/a.mp4', root, hosts)).toEqual({ kind: 'file', path: '/srv/media/plenary/a.mp4' });
    expect(locateSource('/srv/media/b.mp4', root, hosts)).toEqual({ kind: 'file', path: '/srv/media/b.mp4' });
    expect(locateSource('file:///srv/media/c%20d.mp4', root, hosts)).toEqual({
      kind: 'file',
      path: '/srv/media/c d.mp4',
    });
  });

  it('allows a bare host on its default port only, and host:port on exactly that port', () => {
    const allowed = ['origin.example.com', '127.0.0.1:8080', '[::1]:9000', 'fe80::1', 'Media.Example.ORG.'];
    const ok = (url: string) => expect(locateSource(url, root, allowed)).toMatchObject({ kind: 'remote' });
    const refused = (url: string) =>
      expect(() => locateSource(url, root, allowed)).toThrow('is not in ALLOWED_SOURCE_HOSTS');
    ok('https://origin.example.com/a.mp4');
    ok('http://origin.example.com:80/a.mp4');
    ok('https://ORIGIN.example.com.:443/a.mp4');
    refused('http://origin.example.com:8443/a.mp4');
    refused('https://origin.example.com:22/a.mp4');
    ok('http://127.0.0.1:8080/a.mp4');
    refused('http://127.0.0.1/a.mp4');
    refused('http://127.0.0.1:8081/a.mp4');
    ok('http://[::1]:9000/a.mp4');
    refused('http://[::1]/a.mp4');
    ok('http://[fe80::1]/a.mp4');
    refused('http://[fe80::1]:8080/a.mp4');
    ok('https://media.example.org/a.mp4');
  });

  it.each(['http://x', 'host:port', 'a:99999', ''])('refuses the allowed-host entry %j', (entry) => {
    expect(() => parseAllowedHost(entry)).toThrow(SourceNotAllowedError);
  });

  it('allows http(s) from the allowed hosts only', () => {
    expect(locateSource('https://origin.example.com/v/index.m3u8', root, hosts)).toMatchObject({ kind: 'remote' });
    expect(locateSource('http://127.0.0.1:8080/v.mp4', root, hosts)).toMatchObject({ kind: 'remote' });
    expect(() => locateSource('http://127.0.0.1:9090/v.mp4', root, hosts)).toThrow('is not in ALLOWED_SOURCE_HOSTS');
    expect(() => locateSource('http://169.254.169.254/latest/meta-data', root, hosts)).toThrow(SourceNotAllowedError);
  });

  it.each([
    '../etc/passwd',
    '/etc/passwd',
    'file:///etc/passwd',
    'plenary/../../etc/passwd',
    '/srv/media',
    '/srv/media-other/x.mp4',
  ])('refuses %j outside the root', (source) => {
    expect(() => locateSource(source, root, hosts)).toThrow('outside the media root');
  });

  it.each(['ftp://origin.example.com/a.mp4', 'gopher://x', 'data:text/plain,hi', ''])('refuses %j', (source) => {
    expect(() => locateSource(source, root, hosts)).toThrow(SourceNotAllowedError);
  });
});

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
