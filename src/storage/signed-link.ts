import { createHash } from 'node:crypto';
import { lastSecondBefore } from './file-serving.js';

/**
 * The first path segment of signed links (`/signed/downloads/…`): a location of their own in
 * deploy/nginx.conf, so that nginx finds it in one location search, with no rewrite and no look at
 * the query first. The service serves the same files there as without it.
 */
export const SIGNED_LINK_SEGMENT = 'signed';

/**
 * The query that makes a link to `path` good until `expiresAt` for nginx's secure_link, as
 * deploy/nginx.conf checks it (`secure_link $arg_md5,$arg_expires` with
 * `secure_link_md5 "$secure_link_expires$uri $download_link_secret"`): `expires`, the last whole
 * second nginx may send the file in, and `md5`, base64url(md5(expires + uri + " " + secret)) without
 * padding. `path` is the link's path as nginx's location sees it (`/signed/downloads/…`, not under any
 * prefix of PUBLIC_URL); nginx signs it decoded ($uri), so the signature is made over the decoded
 * path too.
 */
export function signedLinkQuery(path: string, expiresAt: Date, secret: string): string {
  const expires = lastSecondBefore(expiresAt.getTime());
  const md5 = createHash('md5')
    .update(`${expires}${decodeURIComponent(path)} ${secret}`)
    .digest('base64url');
  return `expires=${expires}&md5=${md5}`;
}
