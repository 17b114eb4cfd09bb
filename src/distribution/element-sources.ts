import { constants, createWriteStream } from 'node:fs';
import { copyFile, link, readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';
import { BadGatewayException, GatewayTimeoutException, Injectable } from '@nestjs/common';
import { InvalidRequestError } from '../common/invalid-request.error.js';
import { answerDigestChallenge } from '../common/digest-auth.js';
import { AppConfig } from '../config/app-config.js';
import { realPathInsideRoot } from '../security/path-containment.js';
import { SourceNotAllowedError } from '../security/source-not-allowed-error.js';
import { locateSource, MediaSource } from '../security/source-policy.js';
import { referenceKind } from './hls-playlist.js';
import { fileNameOf, decodePathReference } from './path-segments.js';

/** A source that passed the roots and hosts check: a real file inside MEDIA_ROOT, or an allowed URL. */
export type LocatedSource = { kind: 'file'; path: string } | { kind: 'remote'; url: URL };

export interface ReferencedSource {
  source: LocatedSource;
  /** The file name it is published under. */
  name: string;
}

/** What identifies a located source, to tell whether two references name the same file. */
export function sourceKey(source: LocatedSource): string {
  return source.kind === 'file' ? `file:${source.path}` : source.url.href;
}

const MAX_REDIRECTS = 5;
const MAX_PLAYLIST_BYTES = 4 * 1024 * 1024;
// Errors of link(2) that a copy can work around: another device, no hard links on this file system, too many links.
const LINK_UNSUPPORTED = new Set(['EXDEV', 'EPERM', 'EMLINK', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/**
 * Reads the elements' files: `file:` URLs and paths inside MEDIA_ROOT, http(s) from
 * ALLOWED_SOURCE_HOSTS (with the Opencast digest user when one is configured), through the
 * service's one source policy in src/security/source-policy.ts.
 */
@Injectable()
export class ElementSources {
  constructor(private readonly config: AppConfig) {}

  /** Checks a source and, for files, that it exists; throws 400 with the reason otherwise. */
  async locate(source: string): Promise<LocatedSource> {
    const located = this.allowed(source);
    if (located.kind === 'remote') return located;
    let realPath: string;
    try {
      realPath = await realPathInsideRoot(located.path, this.config.mediaRoot);
    } catch (error) {
      if (error instanceof SourceNotAllowedError) throw error;
      throw new InvalidRequestError(`The source file ${source} does not exist under the media root`);
    }
    if (!(await stat(realPath)).isFile()) throw new InvalidRequestError(`The source ${source} is not a file`);
    return { kind: 'file', path: realPath };
  }

  /**
   * A file that a playlist at `base` references, located like any other source (MEDIA_ROOT,
   * ALLOWED_SOURCE_HOSTS), with the name to publish it under. In a remote playlist every
   * reference resolves against the playlist's URL; in a file playlist relative paths resolve
   * against its folder, root-relative ones are paths on disk, and http(s) URLs stand as they are.
   */
  async locateReference(reference: string, base: LocatedSource): Promise<ReferencedSource> {
    const kind = referenceKind(reference);
    const refused = (reason: string) => new InvalidRequestError(`The playlist reference ${reference} ${reason}`);
    if (kind === 'unsupported') {
      throw refused('is not supported: a playlist may name http(s) URLs and relative or root-relative paths');
    }
    let source: string;
    if (base.kind === 'remote') source = new URL(reference, base.url).href;
    else if (kind === 'http') source = reference;
    else if (kind === 'network-path') throw refused('has no scheme, and the playlist is a file: name an http(s) URL');
    else {
      const path = decodePathReference(reference);
      source = kind === 'root-relative' ? path : resolve(dirname(base.path), path);
    }
    try {
      return { source: await this.locate(source), name: fileNameOf(source) };
    } catch (error) {
      if (error instanceof InvalidRequestError) throw refused(`cannot be published: ${error.message}`);
      throw error;
    }
  }

  /** Puts the source's bytes at `target`: a hard link when possible, else a reflink or copy, else a download. */
  async placeAt(source: LocatedSource, target: string, signal?: AbortSignal): Promise<void> {
    if (source.kind === 'file') await linkOrCopy(source.path, target);
    else await this.withDeadline(source.url, signal, (deadline) => this.download(source.url, target, deadline));
  }

  async readText(source: LocatedSource, signal?: AbortSignal): Promise<string> {
    if (source.kind === 'file') {
      if ((await stat(source.path)).size > MAX_PLAYLIST_BYTES)
        throw new InvalidRequestError(`The playlist ${source.path} is too large`);
      return readFile(source.path, 'utf8');
    }
    return this.withDeadline(source.url, signal, async (deadline) => {
      const response = await this.fetchAllowed(source.url, deadline);
      const limit = {
        bytes: MAX_PLAYLIST_BYTES,
        what: `The playlist ${source.url.href}`,
        setting: 'the playlist limit',
      };
      refuseDeclaredSize(response, limit);
      const chunks: Buffer[] = [];
      let received = 0;
      for await (const chunk of response.body as ReadableStream<Uint8Array>) {
        received += chunk.byteLength;
        // Leaving the loop early cancels the body, so the rest is never read.
        if (received > limit.bytes) throw tooLarge(limit);
        chunks.push(Buffer.from(chunk));
      }
      return Buffer.concat(chunks).toString('utf8');
    });
  }

  private allowed(source: string): MediaSource {
    return locateSource(source, this.config.mediaRoot, this.config.allowedSourceHosts);
  }

  /** Streams the body to disk, never holding the whole file in memory, up to DISTRIBUTION_MAX_SOURCE_BYTES. */
  private async download(url: URL, target: string, signal: AbortSignal): Promise<void> {
    const response = await this.fetchAllowed(url, signal);
    const limit = {
      bytes: this.config.distribution.maxSourceBytes,
      what: `The source ${url.href}`,
      setting: 'DISTRIBUTION_MAX_SOURCE_BYTES',
    };
    if (limit.bytes > 0) refuseDeclaredSize(response, limit);
    await pipeline(
      Readable.fromWeb(response.body as ReadableStream),
      byteLimit(limit),
      createWriteStream(target, { flags: 'wx' }),
      { signal },
    );
  }

  /**
   * Runs a remote fetch under DISTRIBUTION_FETCH_TIMEOUT_MS as well as the caller's signal
   * (the job's shutdown); passing the deadline is a 504 naming the URL.
   */
  private async withDeadline<T>(
    url: URL,
    signal: AbortSignal | undefined,
    fetchWith: (deadline: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const timeoutMs = this.config.distribution.fetchTimeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      return await fetchWith(signal ? AbortSignal.any([signal, timeout]) : timeout);
    } catch (error) {
      if (timeout.aborted && !signal?.aborted) {
        throw new GatewayTimeoutException(
          `Fetching the source ${url.href} took longer than DISTRIBUTION_FETCH_TIMEOUT_MS (${timeoutMs} ms)`,
        );
      }
      throw error;
    }
  }

  /** GET that follows redirects only to allowed hosts and answers an Opencast digest challenge. */
  private async fetchAllowed(url: URL, signal?: AbortSignal): Promise<Response> {
    let current = url;
    for (let redirects = 0; redirects <= MAX_REDIRECTS; redirects++) {
      let response = await this.get(current, undefined, signal);
      const challenge = response.headers.get('www-authenticate');
      const { digestUser, digestPassword } = this.config.distribution;
      if (response.status === 401 && challenge && digestUser && digestPassword) {
        await response.body?.cancel();
        const authorization = answerDigestChallenge(
          challenge,
          { username: digestUser, password: digestPassword },
          'GET',
          `${current.pathname}${current.search}`,
        );
        if (authorization) response = await this.get(current, authorization, signal);
      }
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel();
        const next = this.allowed(new URL(location, current).href);
        if (next.kind !== 'remote')
          throw new BadGatewayException(`${current.href} redirects to ${location}, which is not an http(s) URL`);
        current = next.url;
        continue;
      }
      if (!response.ok || !response.body) {
        await response.body?.cancel();
        throw new BadGatewayException(`Fetching the source ${current.href} failed with HTTP ${response.status}`);
      }
      return response;
    }
    throw new BadGatewayException(`Fetching the source ${url.href} was redirected more than ${MAX_REDIRECTS} times`);
  }

  private async get(url: URL, authorization: string | undefined, signal?: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = {};
    if (this.config.distribution.digestUser) headers['X-Requested-Auth'] = 'Digest';
    if (authorization) headers.Authorization = authorization;
    try {
      return await fetch(url, { headers, redirect: 'manual', signal });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new BadGatewayException(`Fetching the source ${url.href} failed: ${(error as Error).message}`);
    }
  }
}

interface ByteLimit {
  bytes: number;
  what: string;
  setting: string;
}

function tooLarge(limit: ByteLimit, declared?: number): InvalidRequestError {
  const size = declared === undefined ? 'more than' : `${declared} bytes, more than`;
  return new InvalidRequestError(`${limit.what} is ${size} ${limit.bytes} bytes (${limit.setting})`);
}

/** Refuses before reading when the response's Content-Length is over the limit. */
function refuseDeclaredSize(response: Response, limit: ByteLimit): void {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > limit.bytes) {
    void response.body?.cancel();
    throw tooLarge(limit, declared);
  }
}

/** Passes bytes through until more than `limit.bytes` have come, then fails the stream. */
function byteLimit(limit: ByteLimit): Transform {
  let received = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      if (limit.bytes > 0 && received > limit.bytes) callback(tooLarge(limit));
      else callback(null, chunk);
    },
  });
}

/** Hard link, falling back to a reflink (COPYFILE_FICLONE) or a plain copy where links cannot be made. */
export async function linkOrCopy(source: string, target: string): Promise<'link' | 'copy'> {
  try {
    await link(source, target);
    return 'link';
  } catch (error) {
    if (!LINK_UNSUPPORTED.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
  }
  await copyInto(source, target);
  return 'copy';
}

/** The fallback: a reflink where the file system can (btrfs, XFS), else a kernel-side copy. */
export async function copyInto(source: string, target: string): Promise<void> {
  await copyFile(source, target, constants.COPYFILE_FICLONE | constants.COPYFILE_EXCL);
}
