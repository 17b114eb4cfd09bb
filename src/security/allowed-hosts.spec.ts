import { describe, expect, it } from 'vitest';
import { isAllowedHost, parseAllowedHost } from './allowed-hosts.js';
import { SourceNotAllowedError } from './source-not-allowed-error.js';

describe('isAllowedHost', () => {
  it('allows a bare host on its default port only, and host:port on exactly that port', () => {
    const allowed = ['origin.example.com', '127.0.0.1:8080', '[::1]:9000', 'fe80::1', 'Media.Example.ORG.'];
    const ok = (url: string) => expect(isAllowedHost(new URL(url), allowed)).toBe(true);
    const refused = (url: string) => expect(isAllowedHost(new URL(url), allowed)).toBe(false);
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
});

describe('parseAllowedHost', () => {
  it.each(['http://x', 'host:port', 'a:99999', ''])('refuses the allowed-host entry %j', (entry) => {
    expect(() => parseAllowedHost(entry)).toThrow(SourceNotAllowedError);
  });
});
