import { resolve } from 'node:path';
import { appSettings } from './app-settings.js';
import { readSettings, type SettingValues } from './setting.js';

/** Thrown when an environment variable holds a value the service cannot run with. */
export class ConfigError extends Error {}

/**
 * The service's whole configuration: the settings of `appSettings`, plus the paths derived from them.
 * A class so that Nest can inject it by type; its fields come from the interface of the same name.
 */
export class AppConfig {}

export interface AppConfig extends SettingValues<typeof appSettings> {
  sqlitePath: string;
  downloadsDir: string;
  outboxDir: string;
}

type Env = Record<string, string | undefined>;

/**
 * Reads and validates the whole configuration once. Every problem names its variable,
 * so a bad deployment stops at start with a message an operator can act on.
 */
export function loadConfig(env: Env = process.env): AppConfig {
  const { values, problems } = readSettings(appSettings, env);
  const config: AppConfig = Object.assign(new AppConfig(), values, {
    sqlitePath: resolve(values.dataDir, 'app.sqlite'),
    downloadsDir: resolve(values.dataDir, 'downloads'),
    outboxDir: resolve(values.dataDir, 'outbox'),
  });

  if (Boolean(config.distribution.digestUser) !== Boolean(config.distribution.digestPassword)) {
    problems.push('OPENCAST_DIGEST_USER and OPENCAST_DIGEST_PASSWORD must be set together');
  }
  if (!config.apiEnabled && !config.workerEnabled) {
    problems.push('API_ENABLED and WORKER_ENABLED are both false: the process would do nothing');
  }
  if (config.opencast.url && !env.PUBLIC_URL?.trim()) {
    problems.push('OPENCAST_URL needs PUBLIC_URL: the address at which the Opencast nodes reach this service');
  }
  if (config.opencast.url && !config.distribution.digestUser) {
    problems.push(
      'OPENCAST_URL needs OPENCAST_DIGEST_USER and OPENCAST_DIGEST_PASSWORD: the registry only answers the system account',
    );
  }
  if (problems.length > 0) {
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return config;
}
