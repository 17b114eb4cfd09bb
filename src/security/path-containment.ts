import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { SourceNotAllowedError } from './source-not-allowed-error.js';

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
