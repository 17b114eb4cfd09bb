import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type MediaSource = { kind: 'file'; path: string } | { kind: 'remote'; url: URL };

/** A source that the configured roots and allowed hosts do not permit; the message says why. */
export class SourceNotAllowedError extends Error {}

/**
 * Decides where media may be read from: files only inside `mediaRoot` (relative paths resolve
 * against it), http(s) only from `allowedHosts`. Every reader of sources goes through here.
 */
export function locateSource(source: string, mediaRoot: string, allowedHosts: readonly string[]): MediaSource {
  const trimmed = source.trim();
  if (trimmed === '') throw new SourceNotAllowedError('The source is empty');
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === 'http' || scheme === 'https') {
    const url = new URL(trimmed);
    if (!isAllowedHost(url, allowedHosts)) {
      throw new SourceNotAllowedError(
        `The host "${url.host}" of ${trimmed} is not in ALLOWED_SOURCE_HOSTS (${allowedHosts.join(', ') || 'empty'})`,
      );
    }
    return { kind: 'remote', url };
  }
  if (scheme === 'file') return { kind: 'file', path: insideRoot(fileURLToPath(trimmed), mediaRoot, trimmed) };
  // One-letter "schemes" are Windows drive letters, which resolve() handles as paths.
  if (scheme && scheme.length > 1) {
    throw new SourceNotAllowedError(
      `The scheme "${scheme}:" of ${trimmed} is not supported: use http(s), file: or a path`,
    );
  }
  return { kind: 'file', path: insideRoot(resolve(mediaRoot, trimmed), mediaRoot, trimmed) };
}

export interface AllowedHost {
  hostname: string;
  /** null: only the scheme's default port (80 for http, 443 for https). */
  port: number | null;
}

/**
 * An ALLOWED_SOURCE_HOSTS entry: `host` or `host:port`, a name, an IPv4 address or an IPv6
 * address (bracketed, or bare without a port), compared lower-case without a trailing dot.
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

/** Resolves `candidate` and insists that it lies inside `root` (named `rootName` in errors); never touches the disk. */
export function insideRoot(candidate: string, root: string, shownAs = candidate, rootName = 'the media root'): string {
  const absolute = resolve(root, candidate);
  const fromRoot = relative(resolve(root), absolute);
  if (fromRoot === '' || fromRoot.startsWith('..') || isAbsolute(fromRoot)) {
    throw new SourceNotAllowedError(`${shownAs} is outside ${rootName} ${root}`);
  }
  return absolute;
}

/**
 * Like insideRoot, but after following symbolic links on disk: a link inside the root that
 * points elsewhere is refused. Call it right before reading a file source.
 */
export async function realPathInsideRoot(path: string, root: string): Promise<string> {
  const [realPath, realRoot] = await Promise.all([realpath(path), realpath(root)]);
  return insideRoot(realPath, realRoot, path);
}
