import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAllowedHost } from './allowed-hosts.js';
import { insideRoot } from './path-containment.js';
import { SourceNotAllowedError } from './source-not-allowed-error.js';

export type MediaSource = { kind: 'file'; path: string } | { kind: 'remote'; url: URL };

/**
 * Decides where media may be read from: files only inside `mediaRoot` (relative paths resolve
 * against it), http(s) only from `allowedHosts`. Every reader of sources goes through here.
 */
export function locateSource(source: string, mediaRoot: string, allowedHosts: readonly string[]): MediaSource {
  const trimmed = source.trim();
  if (trimmed === '') throw new SourceNotAllowedError('The source is empty');
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === 'http' || scheme === 'https') {
    const url = URL.parse(trimmed);
    if (!url) throw new SourceNotAllowedError(`${trimmed} is not a valid URL`);
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
