import { resolve } from 'node:path';
import { validateCronExpression } from 'cron';
import { hidePassword, parsePostgresUrl } from '../database/database-url.js';
import { parseAllowedHost } from '../storage/source-locator.js';

/** Thrown when an environment variable holds a value the service cannot run with. */
export class ConfigError extends Error {}

/** The service's whole configuration; a class so that Nest can inject it by type. */
export class AppConfig {
  port: number;
  dataDir: string;
  /** `postgres://…` to run on PostgreSQL; undefined runs on the SQLite file `sqlitePath`. */
  databaseUrl: string | undefined;
  sqlitePath: string;
  /** Connections each process keeps open to PostgreSQL. */
  databasePoolSize: number;
  /** PostgreSQL cancels a statement that runs longer than this; 0 for no limit. */
  databaseStatementTimeoutMs: number;
  /** Base of every URL the service hands out, without a trailing slash. */
  publicUrl: string;
  apiKeys: string[];
  downloadExpiryDays: number;
  /** Cron expression of the expired-downloads cleanup, or null when disabled. */
  cleanupCron: string | null;
  clientName: string;
  mediaRoot: string;
  allowedSourceHosts: string[];
  /** Hosts that a download's `restEndpoints` callbacks may be sent to. */
  callbackAllowedHosts: string[];
  callbackMaxAttempts: number;
  callbackRetryDelayMs: number;
  downloadsDir: string;
  maxBodyBytes: number;
  workerConcurrency: number;
  /** False for API-only processes: they enqueue jobs but never run them. */
  workerEnabled: boolean;
  jobPollIntervalMs: number;
  /** How long a claimed job stays owned without a heartbeat before another worker may take it. */
  jobLeaseMs: number;
  ffmpegPath: string;
  ffprobePath: string;
  smtpUrl: string | undefined;
  mailFrom: string;
  mailMaxAttempts: number;
  mailRetryDelayMs: number;
  outboxDir: string;
  defaultEmailLanguage: string;
  templatesDir: string;
  distribution: {
    directory: string;
    baseUrl: string;
    organization: string;
    concurrency: number;
    maxQueuedJobs: number;
    availabilityTimeoutMs: number;
    /** Deadline of one remote source fetch, headers to last byte. */
    fetchTimeoutMs: number;
    /** Largest remote source accepted, in bytes; 0 for no limit. */
    maxSourceBytes: number;
    digestUser: string | undefined;
    digestPassword: string | undefined;
  };
}

type Env = Record<string, string | undefined>;

/**
 * Reads and validates the whole configuration once. Every problem names its variable,
 * so a bad deployment stops at start with a message an operator can act on.
 */
export function loadConfig(env: Env = process.env): AppConfig {
  const problems: string[] = [];
  const read = <T>(name: string, fallback: T, parse: (raw: string) => T): T => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    try {
      return parse(raw.trim());
    } catch (error) {
      problems.push(`${name}=${JSON.stringify(hidePassword(raw))}: ${(error as Error).message}`);
      return fallback;
    }
  };

  const port = read('PORT', 3000, (raw) => integer(raw, 0, 65535));
  const dataDir = resolve(read('DATA_DIR', './data', String));
  const publicUrl = read('PUBLIC_URL', `http://localhost:${port}`, httpUrl).replace(/\/+$/, '');
  const distributionDir = resolve(read('DISTRIBUTION_DIR', resolve(dataDir, 'static'), String));

  const config: AppConfig = Object.assign(new AppConfig(), {
    port,
    dataDir,
    databaseUrl: read<string | undefined>('DATABASE_URL', undefined, databaseUrl),
    sqlitePath: resolve(dataDir, 'app.sqlite'),
    databasePoolSize: read('DATABASE_POOL_SIZE', 10, (raw) => integer(raw, 1, 1000)),
    databaseStatementTimeoutMs: read('DATABASE_STATEMENT_TIMEOUT_MS', 30_000, (raw) => integer(raw, 0, 86_400_000)),
    publicUrl,
    apiKeys: read('API_KEYS', [], list),
    downloadExpiryDays: read('DOWNLOAD_EXPIRY_DAYS', 7, (raw) => integer(raw, 0, 36500)),
    cleanupCron: read<string | null>('CLEANUP_CRON', '0 3 * * *', cron),
    clientName: read('CLIENT_NAME', 'media-delivery', String),
    mediaRoot: resolve(read('MEDIA_ROOT', resolve(dataDir, 'media'), String)),
    allowedSourceHosts: read('ALLOWED_SOURCE_HOSTS', [], allowedHosts),
    callbackAllowedHosts: read('CALLBACK_ALLOWED_HOSTS', [], allowedHosts),
    callbackMaxAttempts: read('CALLBACK_MAX_ATTEMPTS', 6, (raw) => integer(raw, 1, 100)),
    callbackRetryDelayMs: read('CALLBACK_RETRY_DELAY_MS', 10_000, (raw) => integer(raw, 10, 86_400_000)),
    downloadsDir: resolve(dataDir, 'downloads'),
    maxBodyBytes: read('MAX_BODY_BYTES', 10 * 1024 * 1024, (raw) => integer(raw, 1024, 1024 ** 3)),
    workerConcurrency: read('WORKER_CONCURRENCY', 1, (raw) => integer(raw, 1, 64)),
    workerEnabled: read('WORKER_ENABLED', true, boolean),
    jobPollIntervalMs: read('JOB_POLL_INTERVAL_MS', 1000, (raw) => integer(raw, 10, 60_000)),
    jobLeaseMs: read('JOB_LEASE_MS', 30_000, (raw) => integer(raw, 300, 3_600_000)),
    ffmpegPath: read('FFMPEG_PATH', 'ffmpeg', String),
    ffprobePath: read('FFPROBE_PATH', 'ffprobe', String),
    smtpUrl: read<string | undefined>('SMTP_URL', undefined, smtpUrl),
    mailFrom: read('MAIL_FROM', 'Media Delivery <no-reply@localhost>', String),
    mailMaxAttempts: read('MAIL_MAX_ATTEMPTS', 8, (raw) => integer(raw, 1, 100)),
    mailRetryDelayMs: read('MAIL_RETRY_DELAY_MS', 30_000, (raw) => integer(raw, 10, 86_400_000)),
    outboxDir: resolve(dataDir, 'outbox'),
    defaultEmailLanguage: read('DEFAULT_EMAIL_LANGUAGE', 'en', languageCode),
    templatesDir: resolve(read('TEMPLATES_DIR', './templates', String)),
    distribution: {
      directory: distributionDir,
      baseUrl: read('DISTRIBUTION_BASE_URL', `${publicUrl}/static`, httpUrl).replace(/\/+$/, ''),
      organization: read('DISTRIBUTION_ORGANIZATION', 'mh_default_org', pathSegment),
      concurrency: read('DISTRIBUTION_CONCURRENCY', 2, (raw) => integer(raw, 1, 64)),
      maxQueuedJobs: read('DISTRIBUTION_MAX_QUEUED_JOBS', 1000, (raw) => integer(raw, 1, 1_000_000)),
      availabilityTimeoutMs: read('DISTRIBUTION_AVAILABILITY_TIMEOUT_MS', 30_000, (raw) => integer(raw, 0, 3_600_000)),
      fetchTimeoutMs: read('DISTRIBUTION_FETCH_TIMEOUT_MS', 600_000, (raw) => integer(raw, 100, 86_400_000)),
      maxSourceBytes: read('DISTRIBUTION_MAX_SOURCE_BYTES', 50 * 1024 ** 3, (raw) =>
        integer(raw, 0, Number.MAX_SAFE_INTEGER),
      ),
      digestUser: read<string | undefined>('OPENCAST_DIGEST_USER', undefined, String),
      digestPassword: read<string | undefined>('OPENCAST_DIGEST_PASSWORD', undefined, String),
    },
  });

  if (Boolean(config.distribution.digestUser) !== Boolean(config.distribution.digestPassword)) {
    problems.push('OPENCAST_DIGEST_USER and OPENCAST_DIGEST_PASSWORD must be set together');
  }
  if (problems.length > 0) {
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return config;
}

function integer(raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw)) throw new Error('expected a whole number');
  const value = Number(raw);
  if (value < min || value > max) throw new Error(`expected a number from ${min} to ${max}`);
  return value;
}

function boolean(raw: string): boolean {
  if (/^(true|1|yes|on)$/i.test(raw)) return true;
  if (/^(false|0|no|off)$/i.test(raw)) return false;
  throw new Error('expected true or false');
}

function list(raw: string): string[] {
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** `host` allows the scheme's default port only, `host:port` exactly that port. */
function allowedHosts(raw: string): string[] {
  const hosts = list(raw);
  for (const host of hosts) parseAllowedHost(host);
  return hosts.map((host) => host.toLowerCase());
}

function httpUrl(raw: string): string {
  const url = new URL(raw);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('expected an http(s) URL');
  return raw;
}

function databaseUrl(raw: string): string {
  const url = new URL(raw);
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new Error('expected a postgres:// URL (leave unset for the embedded SQLite file)');
  }
  parsePostgresUrl(raw);
  return raw;
}

function smtpUrl(raw: string): string {
  const url = new URL(raw);
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw new Error('expected an smtp:// or smtps:// URL');
  return raw;
}

function cron(raw: string): string | null {
  if (raw.toLowerCase() === 'off') return null;
  const { valid, error } = validateCronExpression(raw);
  if (!valid) throw new Error(`expected a cron expression or "off" (${error?.message ?? 'invalid'})`);
  return raw;
}

function languageCode(raw: string): string {
  if (!/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(raw)) throw new Error('expected a language code such as "en"');
  return raw;
}

function pathSegment(raw: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(raw)) throw new Error('expected letters, digits, ".", "_" or "-"');
  return raw;
}
