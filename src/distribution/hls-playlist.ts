/** HLS playlists (.m3u8): finding and rewriting the URIs they reference. */

const URI_ATTRIBUTE = /URI="([^"]*)"/g;

export function isHlsPlaylist(fileName: string, mimetype: string | null): boolean {
  return (
    /\.m3u8$/i.test(fileName) || /^(application\/(x-mpegurl|vnd\.apple\.mpegurl)|audio\/mpegurl)$/i.test(mimetype ?? '')
  );
}

export type ReferenceKind = 'relative' | 'root-relative' | 'network-path' | 'http' | 'unsupported';

/**
 * How a playlist names a file: relative (`seg0.ts`, `../v1/seg0.ts`), root-relative (`/vod/seg0.ts`),
 * network-path (`//host/seg0.ts`), an http(s) URL, or anything else (`file:`, `data:`, …).
 */
export function referenceKind(uri: string): ReferenceKind {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1]?.toLowerCase();
  if (scheme === 'http' || scheme === 'https') return 'http';
  if (scheme !== undefined || uri === '') return 'unsupported';
  if (uri.startsWith('//')) return 'network-path';
  return uri.startsWith('/') ? 'root-relative' : 'relative';
}

/**
 * Calls `replace` for every URI the playlist references (media lines and `URI="…"` attributes of
 * tags such as EXT-X-MAP, EXT-X-MEDIA and EXT-X-KEY) and puts its answer in place; answering
 * undefined keeps the URI. Line endings and every other line stay as they were.
 */
export function rewritePlaylist(text: string, replace: (uri: string) => string | undefined): string {
  return text
    .split(/(\r?\n)/)
    .map((line) => {
      const trimmed = line.trim();
      if (trimmed === '' || line === '\n' || line === '\r\n') return line;
      if (trimmed.startsWith('#')) {
        return line.replace(URI_ATTRIBUTE, (match, uri: string) => {
          const replacement = replace(uri);
          return replacement === undefined ? match : `URI="${replacement}"`;
        });
      }
      const replacement = replace(trimmed);
      return replacement === undefined ? line : line.replace(trimmed, () => replacement);
    })
    .join('');
}

/** Every URI the playlist references, in order, without duplicates. */
export function playlistReferences(text: string): string[] {
  const found = new Set<string>();
  rewritePlaylist(text, (uri) => {
    found.add(uri);
    return undefined;
  });
  return [...found];
}
