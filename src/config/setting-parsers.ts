import { resolve } from 'node:path';
import { validateCronExpression } from 'cron';
import { parsePostgresUrl } from '../database/database-url.js';
import { parseAllowedHost } from '../security/allowed-hosts.js';
import type { Parser } from './setting.js';

export const text: Parser<string> = String;

/** A directory or file, resolved against the working directory. */
export const path: Parser<string> = (raw) => resolve(raw);

export function wholeNumber(min: number, max: number): Parser<number> {
  return (raw) => {
    if (!/^\d+$/.test(raw)) throw new Error('expected a whole number');
    const value = Number(raw);
    if (value < min || value > max) throw new Error(`expected a number from ${min} to ${max}`);
    return value;
  };
}

export const boolean: Parser<boolean> = (raw) => {
  if (/^(true|1|yes|on)$/i.test(raw)) return true;
  if (/^(false|0|no|off)$/i.test(raw)) return false;
  throw new Error('expected true or false');
};

/** Comma-separated, blanks dropped. */
export const list: Parser<string[]> = (raw) =>
  raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');

/** `host` allows the scheme's default port only, `host:port` exactly that port. */
export const hostList: Parser<string[]> = (raw) => {
  const hosts = list(raw);
  for (const host of hosts) parseAllowedHost(host);
  return hosts.map((host) => host.toLowerCase());
};

/** An http(s) URL that others are appended to, so without a trailing slash. */
export const baseUrl: Parser<string> = (raw) => {
  const url = new URL(raw);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('expected an http(s) URL');
  return raw.replace(/\/+$/, '');
};

export const postgresUrl: Parser<string> = (raw) => {
  const url = new URL(raw);
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new Error('expected a postgres:// URL (leave unset for the embedded SQLite file)');
  }
  parsePostgresUrl(raw);
  return raw;
};

export const redisUrl: Parser<string> = (raw) => {
  const url = new URL(raw);
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new Error('expected a redis:// or rediss:// URL');
  return raw;
};

export const smtpUrl: Parser<string> = (raw) => {
  const url = new URL(raw);
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw new Error('expected an smtp:// or smtps:// URL');
  return raw;
};

/** A cron expression, or `off` (null) to disable the schedule. */
export const cronOrOff: Parser<string | null> = (raw) => {
  if (raw.toLowerCase() === 'off') return null;
  const { valid, error } = validateCronExpression(raw);
  if (!valid) throw new Error(`expected a cron expression or "off" (${error?.message ?? 'invalid'})`);
  return raw;
};

export const languageCode: Parser<string> = (raw) => {
  if (!/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(raw)) throw new Error('expected a language code such as "en"');
  return raw;
};

/** One segment of a published path. */
export const pathSegment: Parser<string> = (raw) => {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(raw)) throw new Error('expected letters, digits, ".", "_" or "-"');
  return raw;
};

/**
 * A shared secret that nginx's configuration holds too (`set $name "…";`): long enough not to be
 * guessed from the links it signs, and only characters nginx takes literally in a quoted string
 * (no `$`, quotes, backslashes or `;`), as `openssl rand -base64 32` or `-hex 32` print.
 */
export const nginxSecret: Parser<string> = (raw) => {
  if (!/^[A-Za-z0-9+/=_.~-]{32,}$/.test(raw)) {
    throw new Error('expected at least 32 letters, digits or "+/=_.~-" (e.g. the output of `openssl rand -base64 32`)');
  }
  return raw;
};

/** One of `values`, compared case-insensitively. */
export function oneOf<const T extends string>(values: readonly T[]): Parser<T> {
  return (raw) => {
    const value = values.find((candidate) => candidate === raw.toLowerCase());
    if (value === undefined) throw new Error(`expected one of ${values.join(', ')}`);
    return value;
  };
}

/** A URI path prefix such as `/internal`: a leading slash, no trailing one, nothing that needs escaping. */
export const locationPrefix: Parser<string> = (raw) => {
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(raw) || /\/\.\.?(\/|$)/.test(raw)) {
    throw new Error('expected a path prefix such as "/internal" (no trailing slash)');
  }
  return raw;
};
