import { stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { NextFunction, Request, Response } from 'express';
import { sendFile } from './file-sender.js';

/** A finished download is an attachment: its declared type is the only one. */
export const DOWNLOAD_FILE_HEADERS = { 'X-Content-Type-Options': 'nosniff' } as const;

/**
 * Published distribution files come from outside (HTML attachments too): never sniff a type, never
 * run one as a page of this origin. deploy/nginx.conf adds the same two headers, since nginx drops
 * them from an X-Accel-Redirect answer.
 */
export const DISTRIBUTION_FILE_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': 'sandbox',
} as const;

/**
 * The X-Accel-Redirect URI that makes nginx send the file at `segments` (`downloads/…` or `static/…`,
 * as the internal locations of deploy/nginx.conf alias them) from under `prefix`. nginx unescapes
 * it, so every segment is percent-encoded and any name survives.
 */
export function accelRedirectUri(prefix: string, segments: readonly string[]): string {
  return `${prefix}/${segments.map(encodeURIComponent).join('/')}`;
}

/**
 * How long nginx may reuse the service's answer to a file request (deploy/nginx.conf caches these
 * answers for its auth_request check). It bounds how long a file stays served after the service
 * would refuse it with the file still on disk; a deleted or retracted file is removed, so nginx
 * answers 404 for it at once whatever its cache holds.
 */
export const ACCEL_ANSWER_CACHE_SECONDS = 10;

/**
 * The X-Accel-Expires header of an X-Accel-Redirect answer: until when nginx may reuse it, as the
 * absolute second `@<unix seconds>` on the wall clock (nginx's clock; a relative count would run
 * on from whenever the answer reached nginx). nginx uses an entry through the whole second it
 * names, so for a file that expires in `expiresInMs` the last such second is the one before the
 * expiry's: never a moment past it. `0`: do not cache (the expiry falls within the current second).
 */
export function accelExpires(wallNowMs: number, expiresInMs = Number.POSITIVE_INFINITY): string {
  const nowSecond = Math.floor(wallNowMs / 1000);
  const lastSecond = Math.min(nowSecond + ACCEL_ANSWER_CACHE_SECONDS, lastSecondBefore(wallNowMs + expiresInMs));
  return lastSecond < nowSecond ? '0' : `@${lastSecond}`;
}

/**
 * The last whole second (unix seconds) that lies entirely before `instantMs`. nginx compares whole
 * seconds and goes on accepting a time it was given through the whole second named, so this is the
 * latest second to give it for something that must end at the instant: never a moment past it.
 */
export function lastSecondBefore(instantMs: number): number {
  return Math.floor(instantMs / 1000) - 1;
}

export function setHeaders(response: Response, headers: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
}

/**
 * Answers a request for the published file at `segments` (publishedSegments: no dotfile anywhere in
 * the path) under its root, or calls `next` for the 404 of a path nobody serves.
 */
export type PublishedFileHandler = (
  request: Request,
  response: Response,
  next: NextFunction,
  segments: readonly string[],
) => void;

/** Published files sent by the service itself: a regular file inside `root`, with Range support and the distribution headers. */
export function sendPublishedFile(root: string): PublishedFileHandler {
  return (request, response, next, segments) => {
    // A file published again within the same second keeps its Last-Modified; its ETag (size and
    // modification time in milliseconds) changes, so a client revalidating sees the new one.
    sendFile(request, response, join(root, ...segments), { headers: DISTRIBUTION_FILE_HEADERS, etag: true }).then(
      () => undefined,
      (error: { status?: number }) => (error.status === 404 ? next() : next(error)),
    );
  };
}

/**
 * Published files behind nginx (DOWNLOAD_ACCEL_REDIRECT): the check sendPublishedFile makes (a
 * regular file inside `root`), then the headers and the X-Accel-Redirect to `<prefix>/static/…`,
 * no body.
 */
export function redirectPublishedFile(root: string, prefix: string): PublishedFileHandler {
  return (_request, response, next, segments) => {
    stat(join(root, ...segments)).then(
      (file) => {
        if (!file.isFile()) return next();
        response.type(extname(segments[segments.length - 1]));
        setHeaders(response, DISTRIBUTION_FILE_HEADERS);
        response.setHeader('X-Accel-Redirect', accelRedirectUri(prefix, ['static', ...segments]));
        response.setHeader('X-Accel-Expires', accelExpires(Date.now()));
        response.end();
      },
      () => next(),
    );
  };
}

/** The decoded segments of a path under /static, or undefined when it names no published file. */
export function publishedSegments(path: string): string[] | undefined {
  const raw = path.split('/').slice(1);
  if (raw.length === 0 || raw[raw.length - 1] === '') return undefined;
  try {
    const segments = raw.map(decodeURIComponent);
    const unsafe = segments.some((segment) => segment === '' || segment.startsWith('.') || /[/\\\0]/.test(segment));
    return unsafe ? undefined : segments;
  } catch {
    return undefined;
  }
}
