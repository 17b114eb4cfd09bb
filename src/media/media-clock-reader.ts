import { readFile, stat } from 'node:fs/promises';
import type { ReadableStream } from 'node:stream/web';
import { pathToFileURL } from 'node:url';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { realPathInsideRoot } from '../security/path-containment.js';
import { locateSource, MediaSource } from '../security/source-policy.js';
import { dashClockOf, firstMediaPlaylistOf, hlsClockOf, manifestKindOf, MediaClock } from './media-clock.js';
import { readableSourceUrl } from './media-sources.js';

/** As large as the playlists the distribution service accepts. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const FETCH_TIMEOUT_MS = 10_000;
const MAX_REDIRECTS = 5;

/** A manifest that could not be read; the message says which and why. */
export class ManifestUnreadableError extends Error {}

/**
 * Reads a source's manifest for the media's own clock: files only inside MEDIA_ROOT, http(s) only
 * from ALLOWED_SOURCE_HOSTS (redirects and a master playlist's references included), by the
 * service's one source policy, each manifest at most 4 MiB and 10 s.
 */
@Injectable()
export class MediaClockReader {
  constructor(private readonly config: AppConfig) {}

  /** The media's clock; null for media without timestamps (and for media files, which carry none). */
  async read(source: string): Promise<MediaClock | null> {
    let manifest = this.locate(source);
    if (manifest.kind === 'remote') manifest = { kind: 'remote', url: new URL(readableSourceUrl(manifest.url)) };
    const kind = manifestKindOf(manifest.kind === 'remote' ? manifest.url.pathname : manifest.path);
    if (!kind) return null;
    const text = await this.readText(manifest);
    if (kind === 'dash') return dashClockOf(text) ?? null;
    const mediaPlaylist = firstMediaPlaylistOf(text);
    if (mediaPlaylist === undefined) return hlsClockOf(text) ?? null;
    return hlsClockOf(await this.readText(this.locateReference(mediaPlaylist, manifest))) ?? null;
  }

  private locate(source: string): MediaSource {
    try {
      return locateSource(source, this.config.mediaRoot, this.config.allowedSourceHosts);
    } catch (error) {
      throw new ManifestUnreadableError((error as Error).message);
    }
  }

  /** A reference in a playlist at `base`: a remote playlist may name only allowed http(s) URLs, a file one files under MEDIA_ROOT too. */
  private locateReference(reference: string, base: MediaSource): MediaSource {
    let target: URL;
    try {
      target = new URL(reference, base.kind === 'remote' ? base.url : pathToFileURL(base.path));
    } catch {
      throw new ManifestUnreadableError(`The playlist reference ${reference} is not a URL or path`);
    }
    if (base.kind === 'remote' && target.protocol === 'file:') {
      throw new ManifestUnreadableError(`The playlist ${base.url.href} names a file (${reference})`);
    }
    return this.locate(target.href);
  }

  private async readText(manifest: MediaSource): Promise<string> {
    const shownAs = manifest.kind === 'remote' ? manifest.url.href : manifest.path;
    try {
      return manifest.kind === 'remote' ? await this.fetchText(manifest.url) : await this.readFileText(manifest.path);
    } catch (error) {
      if (error instanceof ManifestUnreadableError) throw error;
      const reason =
        (error as Error).name === 'TimeoutError'
          ? `took longer than ${FETCH_TIMEOUT_MS / 1000} s`
          : (((error as Error).cause as Error | undefined)?.message ?? (error as Error).message);
      throw new ManifestUnreadableError(`Reading the manifest ${shownAs} failed: ${reason}`);
    }
  }

  private async readFileText(path: string): Promise<string> {
    const realPath = await realPathInsideRoot(path, this.config.mediaRoot);
    if ((await stat(realPath)).size > MAX_MANIFEST_BYTES) throw tooLarge(path);
    return readFile(realPath, 'utf8');
  }

  /** GET that follows redirects only to allowed hosts, and stops reading past the size limit. */
  private async fetchText(url: URL): Promise<string> {
    const deadline = AbortSignal.timeout(FETCH_TIMEOUT_MS);
    let current = url;
    for (let redirects = 0; redirects <= MAX_REDIRECTS; redirects++) {
      const response = await fetch(current, { redirect: 'manual', signal: deadline });
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel();
        const next = this.locate(new URL(location, current).href);
        if (next.kind !== 'remote') throw new ManifestUnreadableError(`${current.href} redirects to a file`);
        current = next.url;
        continue;
      }
      if (!response.ok || !response.body) {
        await response.body?.cancel();
        throw new ManifestUnreadableError(`Reading the manifest ${current.href} failed with HTTP ${response.status}`);
      }
      const chunks: Buffer[] = [];
      let received = 0;
      for await (const chunk of response.body as ReadableStream<Uint8Array>) {
        received += chunk.byteLength;
        // Leaving the loop early cancels the body, so the rest is never read.
        if (received > MAX_MANIFEST_BYTES) throw tooLarge(current.href);
        chunks.push(Buffer.from(chunk));
      }
      return Buffer.concat(chunks).toString('utf8');
    }
    throw new ManifestUnreadableError(
      `Reading the manifest ${url.href} was redirected more than ${MAX_REDIRECTS} times`,
    );
  }
}

function tooLarge(shownAs: string): ManifestUnreadableError {
  return new ManifestUnreadableError(`The manifest ${shownAs} is more than ${MAX_MANIFEST_BYTES} bytes`);
}
