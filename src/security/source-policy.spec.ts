import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../common/invalid-request.error.js';
import { SourceNotAllowedError } from './source-not-allowed-error.js';
import { locateSource } from './source-policy.js';

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

  it('allows http(s) from the allowed hosts only', () => {
    expect(locateSource('https://origin.example.com/v/index.m3u8', root, hosts)).toMatchObject({ kind: 'remote' });
    expect(locateSource('http://127.0.0.1:8080/v.mp4', root, hosts)).toMatchObject({ kind: 'remote' });
    expect(() => locateSource('http://127.0.0.1:9090/v.mp4', root, hosts)).toThrow('is not in ALLOWED_SOURCE_HOSTS');
    expect(() => locateSource('http://169.254.169.254/latest/meta-data', root, hosts)).toThrow(SourceNotAllowedError);
  });

  it('refuses a malformed http(s) URL as a request error, not a TypeError', () => {
    expect(() => locateSource('http://[::1', root, hosts)).toThrow(
      new SourceNotAllowedError('http://[::1 is not a valid URL'),
    );
    expect(() => locateSource('https://', root, hosts)).toThrow(InvalidRequestError);
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
