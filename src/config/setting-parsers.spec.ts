import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  baseUrl,
  boolean,
  cronOrOff,
  hostList,
  languageCode,
  list,
  path,
  pathSegment,
  postgresUrl,
  smtpUrl,
  wholeNumber,
} from './setting-parsers.js';

describe('setting parsers', () => {
  it('wholeNumber takes digits within its range, ends included', () => {
    const parse = wholeNumber(10, 20);
    expect([parse('10'), parse('20'), parse('015')]).toEqual([10, 20, 15]);
    expect(() => parse('9')).toThrow('expected a number from 10 to 20');
    expect(() => parse('21')).toThrow('expected a number from 10 to 20');
    for (const raw of ['-1', '1.5', '1e3', '0x10', 'ten']) expect(() => parse(raw)).toThrow('expected a whole number');
  });

  it('boolean knows true/1/yes/on and false/0/no/off in any case', () => {
    expect(['true', '1', 'YES', 'On'].map(boolean)).toEqual([true, true, true, true]);
    expect(['false', '0', 'No', 'OFF'].map(boolean)).toEqual([false, false, false, false]);
    expect(() => boolean('maybe')).toThrow('expected true or false');
  });

  it('list splits on commas and drops blanks; hostList also checks and lower-cases each host', () => {
    expect(list(' a ,, b,')).toEqual(['a', 'b']);
    expect(hostList('Origin.Example.com, [::1]:8080')).toEqual(['origin.example.com', '[::1]:8080']);
    expect(() => hostList('origin.example.com, https://cdn.example.com')).toThrow('is not a host or host:port');
    expect(() => hostList('origin.example.com:70000')).toThrow('is not a host or host:port');
  });

  it('path resolves against the working directory', () => {
    expect(path('data/media')).toBe(resolve('data/media'));
    expect(path('/srv/media/')).toBe('/srv/media');
  });

  it('baseUrl takes http(s) only and drops trailing slashes', () => {
    expect(baseUrl('https://media.example.com/base//')).toBe('https://media.example.com/base');
    expect(() => baseUrl('ftp://media.example.com')).toThrow('expected an http(s) URL');
    expect(() => baseUrl('media.example.com')).toThrow();
  });

  it('postgresUrl and smtpUrl take their schemes only', () => {
    expect(postgresUrl('postgresql://u:p@db/media')).toBe('postgresql://u:p@db/media');
    expect(() => postgresUrl('mysql://db')).toThrow('expected a postgres:// URL');
    expect(smtpUrl('smtps://u:p@mail:465')).toBe('smtps://u:p@mail:465');
    expect(() => smtpUrl('http://mail')).toThrow('expected an smtp:// or smtps:// URL');
  });

  it('cronOrOff takes a cron expression, with or without seconds, or off', () => {
    expect(cronOrOff('0 3 * * *')).toBe('0 3 * * *');
    expect(cronOrOff('*/30 * * * * *')).toBe('*/30 * * * * *');
    expect(cronOrOff('Off')).toBeNull();
    expect(() => cronOrOff('every night')).toThrow('expected a cron expression or "off"');
  });

  it('languageCode and pathSegment refuse what cannot be a language or a path segment', () => {
    expect(['en', 'fra', 'pt-BR', 'zh-Hant-TW'].map(languageCode)).toEqual(['en', 'fra', 'pt-BR', 'zh-Hant-TW']);
    for (const raw of ['EN', 'e', 'en_US']) expect(() => languageCode(raw)).toThrow('expected a language code');
    expect(pathSegment('mh_default_org.2-a')).toBe('mh_default_org.2-a');
    for (const raw of ['.hidden', 'a/b', '..']) expect(() => pathSegment(raw)).toThrow('expected letters, digits');
  });
});
