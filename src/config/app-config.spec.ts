import { resolve } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { AppConfig, ConfigError, loadConfig } from './app-config.js';

describe(loadConfig.name, () => {
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

  it('keeps every other default', () => {
    const config = loadConfig({});
    expect(config).toBeInstanceOf(AppConfig);
    expect(config).toMatchObject({
      clientName: 'media-delivery',
      allowedSourceHosts: [],
      callbackAllowedHosts: [],
      callbackMaxAttempts: 6,
      callbackRetryDelayMs: 10_000,
      downloadsDir: resolve('data/downloads'),
      maxBodyBytes: 10 * 1024 * 1024,
      workerConcurrency: 1,
      workerEnabled: true,
      jobPollIntervalMs: 1000,
      jobLeaseMs: 30_000,
      ffmpegPath: 'ffmpeg',
      ffprobePath: 'ffprobe',
      smtpUrl: undefined,
      mailFrom: 'Media Delivery <no-reply@localhost>',
      mailMaxAttempts: 8,
      mailRetryDelayMs: 30_000,
      outboxDir: resolve('data/outbox'),
      defaultEmailLanguage: 'en',
      templatesDir: resolve('templates'),
    });
    expect(config.distribution).toEqual({
      directory: resolve('data/static'),
      baseUrl: 'http://localhost:3000/static',
      organization: 'mh_default_org',
      concurrency: 2,
      maxQueuedJobs: 1000,
      availabilityTimeoutMs: 30_000,
      fetchTimeoutMs: 600_000,
      maxSourceBytes: 50 * 1024 ** 3,
      digestUser: undefined,
      digestPassword: undefined,
    });
  });

  it('types each field as the rest of the service reads it', () => {
    expectTypeOf<AppConfig['port']>().toEqualTypeOf<number>();
    expectTypeOf<AppConfig['databaseUrl']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<AppConfig['cleanupCron']>().toEqualTypeOf<string | null>();
    expectTypeOf<AppConfig['apiKeys']>().toEqualTypeOf<string[]>();
    expectTypeOf<AppConfig['workerEnabled']>().toEqualTypeOf<boolean>();
    expectTypeOf<AppConfig['sqlitePath']>().toEqualTypeOf<string>();
    expectTypeOf<AppConfig['distribution']['maxSourceBytes']>().toEqualTypeOf<number>();
    expectTypeOf<AppConfig['distribution']['digestUser']>().toEqualTypeOf<string | undefined>();
  });

  it('follows DATA_DIR and PUBLIC_URL with the folders and URLs not set on their own', () => {
    expect(loadConfig({ DATA_DIR: 'srv' })).toMatchObject({
      sqlitePath: resolve('srv/app.sqlite'),
      mediaRoot: resolve('srv/media'),
      outboxDir: resolve('srv/outbox'),
      distribution: { directory: resolve('srv/static') },
    });
    const config = loadConfig({
      DATA_DIR: '/srv',
      MEDIA_ROOT: '/mnt/media',
      DISTRIBUTION_DIR: 'published',
      PUBLIC_URL: 'https://media.example.com',
      DISTRIBUTION_BASE_URL: 'https://cdn.example.com/static/',
    });
    expect(config.mediaRoot).toBe('/mnt/media');
    expect(config.distribution).toMatchObject({
      directory: resolve('published'),
      baseUrl: 'https://cdn.example.com/static',
    });
  });

  it('treats a blank variable as unset and ignores the blanks around a value', () => {
    const config = loadConfig({ PORT: '  ', DOWNLOAD_EXPIRY_DAYS: ' 30 ', WORKER_ENABLED: ' off ' });
    expect(config).toMatchObject({ port: 3000, downloadExpiryDays: 30, workerEnabled: false });
  });

  it('says what was wrong with a value and what it expected', () => {
    expect(() => loadConfig({ PORT: '65536' })).toThrow('PORT="65536": expected a number from 0 to 65535');
    expect(() => loadConfig({ SMTP_URL: 'mail.example.com' })).toThrow('SMTP_URL="mail.example.com"');
  });

  it('never shows the download link secret, not even a bad one', () => {
    expect(() => loadConfig({ DOWNLOAD_LINK_SECRET: 'too-short-to-keep' })).toThrow(
      /DOWNLOAD_LINK_SECRET \(hidden\): expected at least 32/,
    );
    expect(() => loadConfig({ DOWNLOAD_LINK_SECRET: 'too-short-to-keep' })).not.toThrow(/too-short-to-keep/);
    const secret = 'q3Vx0+Zk/9mW2aLr5bYc8dTe1fGh4jKs7nPo6uQi=';
    expect(loadConfig({ DOWNLOAD_LINK_SECRET: secret }).downloadLinkSecret).toBe(secret);
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
    expect(() => loadConfig({ OPENCAST_DIGEST_PASSWORD: 'secret' })).toThrow('must be set together');
    expect(
      loadConfig({ OPENCAST_DIGEST_USER: 'opencast_system_account', OPENCAST_DIGEST_PASSWORD: 'secret' }).distribution,
    ).toMatchObject({ digestUser: 'opencast_system_account', digestPassword: 'secret' });
  });

  it('joins an Opencast cluster only with the system account', () => {
    const publicUrl = { PUBLIC_URL: 'https://media.example.org' };
    expect(() => loadConfig({ ...publicUrl, OPENCAST_URL: 'https://admin.example.org' })).toThrow(
      'OPENCAST_URL needs OPENCAST_DIGEST_USER',
    );
    const digest = { OPENCAST_DIGEST_USER: 'opencast_system_account', OPENCAST_DIGEST_PASSWORD: 'secret' };
    expect(() => loadConfig({ ...digest, OPENCAST_URL: 'https://admin.example.org' })).toThrow(
      'OPENCAST_URL needs PUBLIC_URL',
    );
    expect(loadConfig({ ...digest, ...publicUrl, OPENCAST_URL: 'https://admin.example.org/' }).opencast).toEqual({
      url: 'https://admin.example.org',
      maxLoad: undefined,
      retryDelayMs: 5000,
      drainTimeoutMs: 30000,
    });
    expect(loadConfig(digest).opencast.url).toBeUndefined();
  });
});
