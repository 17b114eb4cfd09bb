import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { InvalidRequestError } from '../common/invalid-request.error.js';
import { ElementSources, LocatedSource, sourceKey } from './element-sources.js';
import { isHlsPlaylist, playlistReferences, rewritePlaylist } from './hls-playlist.js';
import { fileNameProblem } from './path-segments.js';
import type { Publication } from './download-channel-store.js';

/** Playlists may name playlists (master → variant); deeper nesting is not HLS. */
const MAX_PLAYLIST_DEPTH = 3;

/** Another element of the same request, which a playlist may reference instead of copying its file. */
export interface SiblingElement {
  elementId: string;
  folder: string;
  name: string;
  source: LocatedSource;
}

/**
 * Stages the HLS playlists of one publication with every reference rewritten to a published
 * path: a file that is another element of the request becomes `../<elementId>/<file>`; any other
 * file (relative, root-relative or an http(s) URL, through the same source checks) is published
 * next to the playlist and referenced by its name. References it cannot publish are a 400.
 */
export class PlaylistPublisher {
  /** Published path → the source staged there, so each file is staged once and collisions are caught. */
  private readonly staged = new Map<string, { key: string; reference: string }>();

  constructor(
    private readonly publication: Publication,
    private readonly sources: ElementSources,
    private readonly siblings: readonly SiblingElement[],
    private readonly signal?: AbortSignal,
  ) {}

  /** Stages an element's playlist at `destination`, with what it references; `url` is the element's. */
  async stageElementPlaylist(source: LocatedSource, destination: string, url: string): Promise<void> {
    this.staged.set(destination, { key: sourceKey(source), reference: url });
    await this.stagePlaylist(source, destination, 1);
  }

  private async stagePlaylist(source: LocatedSource, destination: string, depth: number): Promise<void> {
    const text = await this.sources.readText(source, this.signal);
    const folder = dirname(destination);
    const replacements = new Map<string, string>();
    for (const reference of playlistReferences(text)) {
      const referenced = await this.sources.locateReference(reference, source);
      const key = sourceKey(referenced.source);
      const sibling = this.siblings.find(
        (candidate) => sourceKey(candidate.source) === key && candidate.folder !== folder,
      );
      if (sibling) {
        replacements.set(reference, `../${encodeURIComponent(sibling.elementId)}/${encodeURIComponent(sibling.name)}`);
        continue;
      }
      const { name } = referenced;
      const problem = fileNameProblem(name);
      if (problem) throw new InvalidRequestError(`The playlist reference ${reference}: ${problem}`);
      replacements.set(reference, encodeURIComponent(name));
      const target = join(folder, name);
      const before = this.staged.get(target);
      if (before?.key === key) continue;
      if (before !== undefined) {
        throw new InvalidRequestError(
          `The playlist references ${before.reference} and ${reference}, which would both be published as ${name}`,
        );
      }
      this.staged.set(target, { key, reference });
      if (isHlsPlaylist(name, null)) {
        if (depth >= MAX_PLAYLIST_DEPTH) {
          throw new InvalidRequestError(
            `The playlist reference ${reference} nests playlists more than ${MAX_PLAYLIST_DEPTH} deep`,
          );
        }
        await this.stagePlaylist(referenced.source, target, depth + 1);
      } else {
        await this.publication.stage(target, (temporary) =>
          this.sources.placeAt(referenced.source, temporary, this.signal),
        );
      }
    }
    const rewritten = rewritePlaylist(text, (uri) => replacements.get(uri));
    await this.publication.stage(destination, (temporary) => writeFile(temporary, rewritten, { flag: 'wx' }));
  }
}
