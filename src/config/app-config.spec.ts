import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './app-config.js';

describe('loadConfig', () => {
  it('runs on its defaults', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.dataDir).toBe(resolve('data'));
    expect(config.sqlitePath).toBe(resolve('data/app.sqlite'));
    expect(config.databaseUrl).toBeUndefined();
    expect(config.publicUrl).toBe('http://localhost:3000');
    expect(config.apiKeys).toEqual([]);
    expect(config.downloadExpiryDays).toBe(7);
    expect(config.cleanupCron).toBe('0 3 * * *');
    expect(config.mediaRoot).toBe(resolve('data/media'));
    expect(config.distribution.directory).toBe(resolve('data/static'));
    expect(config.distribution.baseUrl).toBe('http://localhost:3000/static');
    expect(config.distribution.organization).toBe('mh_default_org');
  });

  it('derives URLs and folders from PORT, PUBLIC_URL and DATA_DIR', () => {
    const config = loadConfig({
      PORT: '8080',
      DATA_DIR: '/srv/media',
      PUBLIC_URL: 'https://media.example.com/',
      API_KEYS: 'a, b,,',
    });
    expect(config.publicUrl).toBe('https://media.example.com');
    expect(config.distribution.baseUrl).toBe('https://media.example.com/static');
    expect(config.downloadsDir).toBe('/srv/media/downloads');
    expect(config.apiKeys).toEqual(['a', 'b']);
    expect(loadConfig({ PORT: '8080' }).publicUrl).toBe('http://localhost:8080');
    expect(loadConfig({ CLEANUP_CRON: 'off' }).cleanupCron).toBeNull();
  });

  it('names every bad variable at once', () => {
    const load = () =>
      loadConfig({
        PORT: 'eighty',
        DOWNLOAD_EXPIRY_DAYS: '-1',
        CLEANUP_CRON: 'every night',
        PUBLIC_URL: 'ftp://x',
        DATABASE_URL: 'mysql://db',
      });
    expect(load).toThrow(ConfigError);
    try {
      load();
    } catch (error) {
      const message = (error as Error).message;
      for (const name of ['PORT', 'DOWNLOAD_EXPIRY_DAYS', 'CLEANUP_CRON', 'PUBLIC_URL', 'DATABASE_URL'])
        expect(message).toContain(name);
    }
  });

  it('limits remote distribution sources in time and size', () => {
    expect(loadConfig({}).distribution).toMatchObject({ fetchTimeoutMs: 600_000, maxSourceBytes: 50 * 1024 ** 3 });
    expect(loadConfig({ DISTRIBUTION_MAX_SOURCE_BYTES: '0' }).distribution.maxSourceBytes).toBe(0);
    expect(() => loadConfig({ DISTRIBUTION_FETCH_TIMEOUT_MS: '5' })).toThrow('DISTRIBUTION_FETCH_TIMEOUT_MS');
    expect(() => loadConfig({ DISTRIBUTION_MAX_SOURCE_BYTES: '1GB' })).toThrow('DISTRIBUTION_MAX_SOURCE_BYTES');
  });

  it('refuses ALLOWED_SOURCE_HOSTS entries that are not host or host:port', () => {
    expect(loadConfig({ ALLOWED_SOURCE_HOSTS: 'Origin.example.com, 127.0.0.1:8080' }).allowedSourceHosts).toEqual([
      'origin.example.com',
      '127.0.0.1:8080',
    ]);
    expect(() => loadConfig({ ALLOWED_SOURCE_HOSTS: 'https://origin.example.com' })).toThrow('ALLOWED_SOURCE_HOSTS');
  });

  it('runs without Redis unless REDIS_URL names one', () => {
    expect(loadConfig({})).toMatchObject({
      redisUrl: undefined,
      redisPrefix: 'media-delivery',
      jobRelayIntervalMs: 10_000,
    });
    expect(loadConfig({ REDIS_URL: 'redis://:secret@cache:6379/2', REDIS_PREFIX: 'media-2' })).toMatchObject({
      redisUrl: 'redis://:secret@cache:6379/2',
      redisPrefix: 'media-2',
    });
    expect(() => loadConfig({ REDIS_URL: 'http://cache:6379' })).toThrow('REDIS_URL');
    expect(() => loadConfig({ REDIS_PREFIX: 'a:b' })).toThrow('REDIS_PREFIX');
  });

  it('wants the Opencast digest user and password together', () => {
    expect(() => loadConfig({ OPENCAST_DIGEST_USER: 'opencast_system_account' })).toThrow('must be set together');
  });
});
