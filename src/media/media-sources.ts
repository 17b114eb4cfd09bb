import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { realPathInsideRoot } from '../security/path-containment.js';
import { locateSource } from '../security/source-policy.js';
import type { MediaInput } from './ffmpeg-args.js';
import { SourceProxy } from './source-proxy.js';

/** A source under MEDIA_ROOT that is not there (any more); the message is for the requester. */
export class SourceMissingError extends Error {}

/**
 * Turns a source (a path under MEDIA_ROOT or an http(s) URL) into what ffmpeg reads, which is
 * always a URL it fetches through the SourceProxy: the one place that decides what ffmpeg may
 * read. Refuses sources outside the rules with a SourceNotAllowedError.
 */
@Injectable()
export class MediaSources {
  constructor(
    private readonly config: AppConfig,
    private readonly proxy: SourceProxy,
  ) {}

  async inputFor(source: string): Promise<MediaInput> {
    const located = locateSource(source, this.config.mediaRoot, this.config.allowedSourceHosts);
    if (located.kind === 'remote') return { location: readableSourceUrl(located.url), remote: true };
    return { location: this.proxy.mediaRootUrl(await this.existingFile(located.path, source)), remote: true };
  }

  /**
   * A file under MEDIA_ROOT is read over http from the source proxy, never as a file: ffmpeg picks
   * a demuxer by content, not by name, so any file may turn out to be a playlist (HLS, DASH,
   * ffconcat), and what it names must not be a file outside MEDIA_ROOT.
   */
  private async existingFile(path: string, shownAs: string): Promise<string> {
    try {
      await realPathInsideRoot(path, this.config.mediaRoot);
      return path;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new SourceMissingError(`the source file ${shownAs} does not exist under MEDIA_ROOT`);
      }
      throw error;
    }
  }
}

/**
 * The URL ffmpeg should read for a remote source. ffmpeg has no Smooth Streaming demuxer, and
 * Unified Streaming origins serve every presentation (`…/name.ism/Manifest`) as DASH too
 * (`…/name.ism/.mpd`), with the same tracks.
 */
export function readableSourceUrl(url: URL): string {
  const smooth = /^(.*\.isml?)\/manifest$/i.exec(url.pathname);
  if (!smooth) return url.href;
  const dash = new URL(url.href);
  dash.pathname = `${smooth[1]}/.mpd`;
  return dash.href;
}
