import { setting, type SettingsSchema } from './setting.js';
import {
  baseUrl,
  boolean,
  cronOrOff,
  hostList,
  languageCode,
  list,
  oneOf,
  locationPrefix,
  nginxSecret,
  path,
  pathSegment,
  postgresUrl,
  redisUrl,
  smtpUrl,
  text,
  wholeNumber,
} from './setting-parsers.js';

/**
 * Every environment variable the service reads. The order is the README's; the keys and nesting are
 * AppConfig's. A new setting is one entry here, then `npm run docs:config` for its README row.
 */
export const appSettings = {
  port: setting({ env: 'PORT', parse: wholeNumber(0, 65535), default: '3000', doc: 'HTTP port.' }),
  dataDir: setting({
    env: 'DATA_DIR',
    parse: path,
    default: './data',
    doc: 'Where the SQLite file, downloads, published files and the outbox live.',
  }),
  /** `postgres://…` to run on PostgreSQL; undefined runs on the SQLite file `sqlitePath`. */
  databaseUrl: setting({
    env: 'DATABASE_URL',
    parse: postgresUrl,
    doc: "`postgres://…` to run on PostgreSQL (`?schema=name` keeps the tables in that schema, which must exist; default: the server's search path); unset uses `$DATA_DIR/app.sqlite` (WAL mode, 5 s busy timeout). Unreachable at start (4 tries, 1 s apart) or holding a migration newer than the code: the service stops with a message naming it, password hidden (exit code 69).",
  }),
  /** Connections each process keeps open to PostgreSQL. */
  databasePoolSize: setting({
    env: 'DATABASE_POOL_SIZE',
    parse: wholeNumber(1, 1000),
    default: '10',
    doc: 'With PostgreSQL: connections each process keeps open.',
  }),
  /** PostgreSQL cancels a statement that runs longer than this; 0 for no limit. */
  databaseStatementTimeoutMs: setting({
    env: 'DATABASE_STATEMENT_TIMEOUT_MS',
    parse: wholeNumber(0, 86_400_000),
    default: '30000',
    doc: 'With PostgreSQL: a statement running longer is cancelled (migrations at start are exempt); `0`: no limit.',
  }),
  /** Base of every URL the service hands out, without a trailing slash. */
  publicUrl: setting({
    env: 'PUBLIC_URL',
    parse: baseUrl,
    default: 'http://localhost:$PORT',
    doc: 'Base of every URL the service hands out (download links, e-mails).',
  }),
  apiKeys: setting({
    env: 'API_KEYS',
    parse: list,
    default: '',
    doc:
      'Comma-separated keys. When set, every API route needs `Authorization: Bearer <key>` or `X-API-Key: <key>`. ' +
      'Swagger UI, `/health`, `/static` and `/downloads` stay open. Empty: the API is open (a warning is logged).',
  }),
  maxBodyBytes: setting({
    env: 'MAX_BODY_BYTES',
    parse: wholeNumber(1024, 1024 ** 3),
    default: '10485760',
    doc: 'Largest request body accepted (JSON and forms); larger gets 413.',
  }),
  downloadExpiryDays: setting({
    env: 'DOWNLOAD_EXPIRY_DAYS',
    parse: wholeNumber(0, 36500),
    default: '7',
    doc: 'Days after completion (or failure, or creation when never finished) after which a download expires.',
  }),
  /** Cron expression of the expired-downloads cleanup, or null when disabled. */
  cleanupCron: setting({
    env: 'CLEANUP_CRON',
    parse: cronOrOff,
    default: '0 3 * * *',
    doc: 'When expired downloads and jobs past `JOB_RETENTION_DAYS` are deleted (UTC, cron syntax with optional seconds); `off` disables.',
  }),
  clientName: setting({
    env: 'CLIENT_NAME',
    parse: text,
    default: 'media-delivery',
    doc: "The `client` written into each download's task JSON.",
  }),
  mediaRoot: setting({
    env: 'MEDIA_ROOT',
    parse: path,
    default: '$DATA_DIR/media',
    doc:
      'The only directory file sources (event `sourceUrl`, MediaPackage element URLs) may be read from; ' +
      'relative paths resolve against it.',
  }),
  allowedSourceHosts: setting({
    env: 'ALLOWED_SOURCE_HOSTS',
    parse: hostList,
    default: '',
    doc:
      "Comma-separated hosts that http(s) sources may come from: `host` allows the scheme's default port " +
      '(80 or 443) only, `host:port` exactly that port (IPv6 as `[::1]:8080`). Empty: no remote sources.',
  }),
  /** False for worker-only processes: they run jobs and answer only the operations endpoints. */
  apiEnabled: setting({
    env: 'API_ENABLED',
    parse: boolean,
    default: 'true',
    doc: '`false` for a worker-only process (`npm run start:worker`): it runs jobs and its HTTP port answers only `/health`, `/health/*` and `/metrics`; every other path is 404.',
  }),
  /** False for API-only processes: they enqueue jobs but never run them. */
  workerEnabled: setting({
    env: 'WORKER_ENABLED',
    parse: boolean,
    default: 'true',
    doc: '`false` for an API-only process: it accepts and queues work but runs none.',
  }),
  workerConcurrency: setting({
    env: 'WORKER_CONCURRENCY',
    parse: wholeNumber(1, 64),
    default: '1',
    doc: 'VOD downloads processed at once per process.',
  }),
  jobPollIntervalMs: setting({
    env: 'JOB_POLL_INTERVAL_MS',
    parse: wholeNumber(10, 60_000),
    default: '1000',
    doc: 'How often an idle worker looks for due jobs (work enqueued in the same process starts at once).',
  }),
  /** How long a claimed job stays owned without a heartbeat before another worker may take it. */
  jobLeaseMs: setting({
    env: 'JOB_LEASE_MS',
    parse: wholeNumber(300, 3_600_000),
    default: '30000',
    doc: 'How long a claimed job stays owned without a heartbeat; a job whose worker died is taken over after this.',
  }),
  /** `redis://…` to run the job queues on BullMQ and share Digest nonces; undefined keeps all of it in the database and process. */
  redisUrl: setting({
    env: 'REDIS_URL',
    parse: redisUrl,
    doc: '`redis://[user:password@]host:port[/db]` (or `rediss://`): the jobs run on BullMQ queues, Digest nonce counts and the cleanup schedule live in Redis, and `/queues` shows the dashboard. Unset: the database queue. Unreachable at start: the service exits naming `REDIS_URL`.',
  }),
  /** Prefix of every Redis key the service writes, so that several deployments can share one Redis. */
  redisPrefix: setting({
    env: 'REDIS_PREFIX',
    parse: pathSegment,
    default: 'media-delivery',
    doc: 'Prefix of every Redis key and channel, so that several deployments can share one Redis.',
  }),
  /** How often, with Redis, the job rows the database holds are relayed again to BullMQ (a crash or an emptied Redis). */
  jobRelayIntervalMs: setting({
    env: 'JOB_RELAY_INTERVAL_MS',
    parse: wholeNumber(50, 3_600_000),
    default: '10000',
    doc: 'With Redis: how often the jobs the database holds are relayed to BullMQ again (after a crash between commit and relay, or a Redis that came back empty).',
  }),
  /** Days ended jobs stay, for inspection and for Opencast's polling, before the cleanup removes them. */
  jobRetentionDays: setting({
    env: 'JOB_RETENTION_DAYS',
    parse: wholeNumber(0, 36500),
    default: '7',
    doc: 'Days a background job that failed for good (kept with its last error in the `job` table) and a finished or failed Opencast distribution job (answerable at `/services/job/{id}`) are kept; the cleanup then deletes them, in batches. Completed background jobs leave the table at once.',
  }),
  logLevel: setting({
    env: 'LOG_LEVEL',
    parse: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
    default: 'info',
    doc: 'Least severe log level written: `fatal`, `error`, `warn`, `info` (one line per request), `debug`, `trace` or `silent`.',
  }),
  logFormat: setting({
    env: 'LOG_FORMAT',
    parse: oneOf(['json', 'pretty'] as const),
    default: 'json',
    doc: '`json`: one JSON object per line on stdout, for log collectors; `pretty`: coloured text for people at a terminal.',
  }),
  /** When set, GET /metrics needs `Authorization: Bearer <token>`. */
  metricsToken: setting({
    env: 'METRICS_TOKEN',
    parse: text,
    doc: 'When set, `/metrics` answers only requests with `Authorization: Bearer <token>` (401 otherwise). Unset: open, like `/health`.',
  }),
  minFreeDiskBytes: setting({
    env: 'MIN_FREE_DISK_BYTES',
    parse: wholeNumber(0, Number.MAX_SAFE_INTEGER),
    default: '1073741824',
    doc: '`/health/ready` fails while `DATA_DIR` has less free space than this.',
  }),
  shutdownTimeoutMs: setting({
    env: 'SHUTDOWN_TIMEOUT_MS',
    parse: wholeNumber(100, 3_600_000),
    default: '30000',
    doc:
      'On SIGTERM or SIGINT the process stops accepting connections and waits this long for the requests in flight ' +
      '(then closes what is still open), hands its running jobs back to the queue, closes the database and exits 0.',
  }),
  /** nginx's internal location prefix (`/internal`): files are then sent by nginx through X-Accel-Redirect. */
  accelRedirectPrefix: setting({
    env: 'DOWNLOAD_ACCEL_REDIRECT',
    parse: locationPrefix,
    doc:
      'An internal nginx location prefix such as `/internal` (see `deploy/nginx.conf`): `/downloads/…` and `/static/…` are checked as ' +
      'usual and answered with `X-Accel-Redirect: <prefix>/downloads/…` (or `<prefix>/static/…`), the headers, `X-Accel-Expires` (until when ' +
      "nginx may reuse the answer: at most 10 s, never past the download's expiry) and no body, for nginx to send the file. " +
      'Unset: the service sends files itself. Only behind nginx: a client reaching the service directly gets empty files.',
  }),
  /** The secret of nginx's secure_link: download links are signed with it, for nginx to check them alone. */
  downloadLinkSecret: setting({
    env: 'DOWNLOAD_LINK_SECRET',
    parse: nginxSecret,
    secret: true,
    doc:
      'At least 32 characters (`openssl rand -base64 32`), the same in nginx (README, "Signed links"): ' +
      "a completed download's `downloadUrl` (API and e-mail) is then `/signed/downloads/<folder>/<file>?expires=<second>&md5=<signature>`, " +
      "valid until the download's expiry, and nginx sends the file without asking the service. The service itself serves " +
      'the same file there and ignores the two parameters. Unset: `/downloads/<folder>/<file>` links, as before.',
  }),
  ffmpegPath: setting({ env: 'FFMPEG_PATH', parse: text, default: 'ffmpeg', doc: 'The ffmpeg binary.' }),
  ffprobePath: setting({ env: 'FFPROBE_PATH', parse: text, default: 'ffprobe', doc: 'The ffprobe binary.' }),
  /** Hosts that a download's `restEndpoints` callbacks may be sent to. */
  callbackAllowedHosts: setting({
    env: 'CALLBACK_ALLOWED_HOSTS',
    parse: hostList,
    default: '',
    doc:
      "Hosts (`host` or `host:port`, as `ALLOWED_SOURCE_HOSTS`) that a download's `restEndpoints` may point at. " +
      'Empty: a request with callbacks gets 400.',
  }),
  callbackMaxAttempts: setting({
    env: 'CALLBACK_MAX_ATTEMPTS',
    parse: wholeNumber(1, 100),
    default: '6',
    doc: 'Tries per callback POST.',
  }),
  callbackRetryDelayMs: setting({
    env: 'CALLBACK_RETRY_DELAY_MS',
    parse: wholeNumber(10, 86_400_000),
    default: '10000',
    doc: 'First retry delay for a callback; each further retry doubles it.',
  }),
  smtpUrl: setting({
    env: 'SMTP_URL',
    parse: smtpUrl,
    doc: '`smtp://user:pass@host:587` or `smtps://…:465`. Unset: each e-mail is written as an `.eml` file to `$DATA_DIR/outbox/`.',
  }),
  mailFrom: setting({
    env: 'MAIL_FROM',
    parse: text,
    default: 'Media Delivery <no-reply@localhost>',
    doc: 'Sender of the e-mails.',
  }),
  mailMaxAttempts: setting({
    env: 'MAIL_MAX_ATTEMPTS',
    parse: wholeNumber(1, 100),
    default: '8',
    doc: 'Tries per e-mail before it is recorded as failed.',
  }),
  mailRetryDelayMs: setting({
    env: 'MAIL_RETRY_DELAY_MS',
    parse: wholeNumber(10, 86_400_000),
    default: '30000',
    doc: 'First retry delay for an e-mail; each further retry doubles it.',
  }),
  defaultEmailLanguage: setting({
    env: 'DEFAULT_EMAIL_LANGUAGE',
    parse: languageCode,
    default: 'en',
    doc: 'Language used when a download has no `emailLanguage` or one without templates.',
  }),
  templatesDir: setting({
    env: 'TEMPLATES_DIR',
    parse: path,
    default: './templates',
    doc: 'Where `email/<language>/…` templates are read from.',
  }),
  distribution: {
    directory: setting({
      env: 'DISTRIBUTION_DIR',
      parse: path,
      default: '$DATA_DIR/static',
      doc: "The download channel's directory.",
    }),
    baseUrl: setting({
      env: 'DISTRIBUTION_BASE_URL',
      parse: baseUrl,
      default: '$PUBLIC_URL/static',
      doc: "The URL that directory is served at; published elements' URLs start with it.",
    }),
    organization: setting({
      env: 'DISTRIBUTION_ORGANIZATION',
      parse: pathSegment,
      default: 'mh_default_org',
      doc: 'The Opencast organization in published paths.',
    }),
    concurrency: setting({
      env: 'DISTRIBUTION_CONCURRENCY',
      parse: wholeNumber(1, 64),
      default: '2',
      doc: 'Distribution jobs run at once per process.',
    }),
    maxQueuedJobs: setting({
      env: 'DISTRIBUTION_MAX_QUEUED_JOBS',
      parse: wholeNumber(1, 1_000_000),
      default: '1000',
      doc: 'Beyond this many unfinished distribution jobs, new ones get 503 (Opencast retries).',
    }),
    availabilityTimeoutMs: setting({
      env: 'DISTRIBUTION_AVAILABILITY_TIMEOUT_MS',
      parse: wholeNumber(0, 3_600_000),
      default: '30000',
      doc: 'How long `checkAvailability` keeps trying a published URL.',
    }),
    /** Deadline of one remote source fetch, headers to last byte. */
    fetchTimeoutMs: setting({
      env: 'DISTRIBUTION_FETCH_TIMEOUT_MS',
      parse: wholeNumber(100, 86_400_000),
      default: '600000',
      doc: 'Deadline for fetching one remote element source, first byte to last; passing it fails with the URL named.',
    }),
    /** Largest remote source accepted, in bytes; 0 for no limit. */
    maxSourceBytes: setting({
      env: 'DISTRIBUTION_MAX_SOURCE_BYTES',
      parse: wholeNumber(0, Number.MAX_SAFE_INTEGER),
      default: '53687091200',
      doc:
        'Largest remote element source accepted (checked against `Content-Length` and while streaming); ' +
        '`0`: no limit.',
    }),
    digestUser: setting({
      env: 'OPENCAST_DIGEST_USER',
      parse: text,
      doc:
        "Opencast's system account: when set, `/distribution` and `/services` also accept HTTP Digest " +
        'authentication from it, as Opencast nodes send.',
    }),
    digestPassword: setting({
      env: 'OPENCAST_DIGEST_PASSWORD',
      parse: text,
      doc: "The system account's password. Set both `OPENCAST_DIGEST_USER` and this, or neither.",
    }),
  },
  /** Membership in an Opencast cluster's service registry; undefined `url` keeps the service standalone. */
  opencast: {
    url: setting({
      env: 'OPENCAST_URL',
      parse: baseUrl,
      doc:
        "A node of an Opencast cluster (e.g. the admin node). When set, the service joins that cluster's service " +
        'registry as `org.opencastproject.distribution.download` and its jobs live there (needs the Digest user).',
    }),
    maxLoad: setting({
      env: 'OPENCAST_MAX_LOAD',
      parse: wholeNumber(1, 4096),
      doc: "The host's maximum load announced to the registry; unset: this machine's number of cores.",
    }),
    retryDelayMs: setting({
      env: 'OPENCAST_RETRY_DELAY_MS',
      parse: wholeNumber(10, 3_600_000),
      default: '5000',
      doc: 'First delay before registering again when the registry is unreachable; each further try doubles it, up to 5 minutes.',
    }),
    drainTimeoutMs: setting({
      env: 'OPENCAST_DRAIN_TIMEOUT_MS',
      parse: wholeNumber(0, 3_600_000),
      default: '30000',
      doc: 'At shutdown, how long the host stays in maintenance for its registry jobs to finish before it unregisters.',
    }),
  },
} satisfies SettingsSchema;
