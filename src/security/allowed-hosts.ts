import { SourceNotAllowedError } from './source-not-allowed-error.js';

export interface AllowedHost {
  hostname: string;
  /** null: only the scheme's default port (80 for http, 443 for https). */
  port: number | null;
}

/**
 * An ALLOWED_SOURCE_HOSTS or CALLBACK_ALLOWED_HOSTS entry: `host` or `host:port`, a name, an IPv4
 * address or an IPv6 address (bracketed, or bare without a port), compared lower-case without a
 * trailing dot.
 */
export function parseAllowedHost(entry: string): AllowedHost {
  let text = entry.trim().toLowerCase();
  if (!text.startsWith('[') && (text.match(/:/g)?.length ?? 0) > 1) text = `[${text}]`;
  const parts = /^(\[[^\]]+\]|[^:[\]/]+)(?::(\d{1,5}))?$/.exec(text);
  const port = parts?.[2] === undefined ? null : Number(parts[2]);
  let hostname: string | undefined;
  try {
    hostname = parts ? new URL(`http://${parts[1]}`).hostname : undefined;
  } catch {
    hostname = undefined;
  }
  if (!hostname || (port !== null && (port < 1 || port > 65535))) {
    throw new SourceNotAllowedError(`"${entry}" is not a host or host:port`);
  }
  return { hostname: withoutTrailingDot(hostname), port };
}

/** True when the URL's host and port match one of the `host` / `host:port` entries (ALLOWED_SOURCE_HOSTS, CALLBACK_ALLOWED_HOSTS). */
export function isAllowedHost(url: URL, allowedHosts: readonly string[]): boolean {
  return allowedHosts.some((entry) => hostMatches(url, entry));
}

function hostMatches(url: URL, entry: string): boolean {
  let allowed: AllowedHost;
  try {
    allowed = parseAllowedHost(entry);
  } catch {
    return false;
  }
  const port = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  const defaultPort = url.protocol === 'https:' ? 443 : 80;
  return withoutTrailingDot(url.hostname) === allowed.hostname && port === (allowed.port ?? defaultPort);
}

function withoutTrailingDot(hostname: string): string {
  return hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
}
