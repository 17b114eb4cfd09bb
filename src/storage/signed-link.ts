import { createHash, timingSafeEqual } from 'node:crypto';
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
  return `expires=${expires}&md5=${signature(path, expires, secret)}`;
}

function signature(path: string, expires: number, secret: string): string {
  return createHash('md5')
    .update(`${expires}${decodeURIComponent(path)} ${secret}`)
    .digest('base64url');
}

/**
 * Whether `md5` is the signature signedLinkQuery makes for `path` and second `expires` with `secret`,
 * whatever that second is. A link signed with an earlier secret, changed, or signed by an nginx whose
 * secret differs is not.
 */
export function isSignedWith(path: string, expires: unknown, md5: unknown, secret: string): boolean {
  if (typeof expires !== 'string' || !/^\d{1,12}$/.test(expires) || typeof md5 !== 'string') return false;
  let wanted: Buffer;
  try {
    wanted = Buffer.from(signature(path, Number(expires), secret));
  } catch {
    return false; // A path that does not decode: nothing signed it.
  }
  const given = Buffer.from(md5);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}
