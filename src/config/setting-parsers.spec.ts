import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as parsers from './setting-parsers.js';

describe('setting parsers', () => {
  it('wholeNumber takes digits within its range, ends included', () => {
    const parse = parsers.wholeNumber(10, 20);
    expect([parse('10'), parse('20'), parse('015')]).toEqual([10, 20, 15]);
    expect(() => parse('9')).toThrow('expected a number from 10 to 20');
    expect(() => parse('21')).toThrow('expected a number from 10 to 20');
    for (const raw of ['-1', '1.5', '1e3', '0x10', 'ten']) expect(() => parse(raw)).toThrow('expected a whole number');
  });

  it('boolean knows true/1/yes/on and false/0/no/off in any case', () => {
    expect(['true', '1', 'YES', 'On'].map(parsers.boolean)).toEqual([true, true, true, true]);
    expect(['false', '0', 'No', 'OFF'].map(parsers.boolean)).toEqual([false, false, false, false]);
    expect(() => parsers.boolean('maybe')).toThrow('expected true or false');
  });

  it('list splits on commas and drops blanks; hostList also checks and lower-cases each host', () => {
    expect(parsers.list(' a ,, b,')).toEqual(['a', 'b']);
    expect(parsers.hostList('Origin.Example.com, [::1]:8080')).toEqual(['origin.example.com', '[::1]:8080']);
    expect(() => parsers.hostList('origin.example.com, https://cdn.example.com')).toThrow('is not a host or host:port');
    expect(() => parsers.hostList('origin.example.com:70000')).toThrow('is not a host or host:port');
  });

  it('path resolves against the working directory', () => {
    expect(parsers.path('data/media')).toBe(resolve('data/media'));
    expect(parsers.path('/srv/media/')).toBe('/srv/media');
  });

  it('baseUrl takes http(s) only and drops trailing slashes', () => {
    expect(parsers.baseUrl('https://media.example.com/base//')).toBe('https://media.example.com/base');
    expect(() => parsers.baseUrl('ftp://media.example.com')).toThrow('expected an http(s) URL');
    expect(() => parsers.baseUrl('media.example.com')).toThrow();
  });

  it('postgresUrl and smtpUrl take their schemes only', () => {
    expect(parsers.postgresUrl('postgresql://u:p@db/media')).toBe('postgresql://u:p@db/media');
    expect(() => parsers.postgresUrl('mysql://db')).toThrow('expected a postgres:// URL');
    expect(parsers.smtpUrl('smtps://u:p@mail:465')).toBe('smtps://u:p@mail:465');
    expect(() => parsers.smtpUrl('http://mail')).toThrow('expected an smtp:// or smtps:// URL');
  });

  it('cronOrOff takes a cron expression, with or without seconds, or off', () => {
    expect(parsers.cronOrOff('0 3 * * *')).toBe('0 3 * * *');
    expect(parsers.cronOrOff('*/30 * * * * *')).toBe('*/30 * * * * *');
    expect(parsers.cronOrOff('Off')).toBeNull();
    expect(() => parsers.cronOrOff('every night')).toThrow('expected a cron expression or "off"');
  });

  it('languageCode and pathSegment refuse what cannot be a language or a path segment', () => {
    const codes = ['en', 'fra', 'pt-BR', 'zh-Hant-TW'];
    expect(codes.map(parsers.languageCode)).toEqual(codes);
    for (const raw of ['EN', 'e', 'en_US']) expect(() => parsers.languageCode(raw)).toThrow('expected a language code');
    expect(parsers.pathSegment('mh_default_org.2-a')).toBe('mh_default_org.2-a');
    for (const raw of ['.hidden', 'a/b', '..'])
      expect(() => parsers.pathSegment(raw)).toThrow('expected letters, digits');
  });

  it('oneOf takes its values in any case and names them when refusing', () => {
    const level = parsers.oneOf(['info', 'warn'] as const);
    expect(level('WARN')).toBe('warn');
    expect(() => level('verbose')).toThrow('expected one of info, warn');
  });

  it('locationPrefix takes a URI path prefix without a trailing slash, nothing to escape, no dot segments', () => {
    expect(['/internal', '/x/files_1'].map(parsers.locationPrefix)).toEqual(['/internal', '/x/files_1']);
    for (const raw of ['internal', '/internal/', '/', '/a b', '/a/../b', '/.', '/a%2Fb']) {
      expect(() => parsers.locationPrefix(raw), raw).toThrow('expected a path prefix');
    }
  });

  it('nginxSecret takes 32 or more characters that an nginx quoted string keeps as they are', () => {
    const base64 = 'q3Vx0+Zk/9mW2aLr5bYc8dTe1fGh4jKs7nPo6uQi=';
    expect(parsers.nginxSecret(base64)).toBe(base64);
    expect(parsers.nginxSecret('a'.repeat(32))).toBe('a'.repeat(32));
    for (const raw of [
      'a'.repeat(31),
      `${'a'.repeat(32)}$uri`,
      `${'a'.repeat(32)}"`,
      `${'a'.repeat(32)};`,
      `${'a'.repeat(32)} b`,
    ]) {
      expect(() => parsers.nginxSecret(raw), raw).toThrow('expected at least 32');
    }
  });
});
