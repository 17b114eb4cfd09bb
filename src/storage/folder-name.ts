import { createHash } from 'node:crypto';

/** Long enough for any UUID or readable id, short enough for every file system's name limit. */
const MAX_FOLDER_NAME_LENGTH = 200;
const HASH_MARK = '~~';
const HASH_LENGTH = 32;

/**
 * The folder a download's files live in, from its content id: letters, digits, "_", "-" and
 * (not in front) "." stay; every other byte of its UTF-8 becomes `~XX`. `~` rather than `%`, so
 * that the folder is also a URL path segment as it stands (the download link is
 * `PUBLIC_URL/downloads/<folder>/<file>`) and a path segment of only dots cannot occur. Ids the
 * API accepted before (`[A-Za-z0-9][A-Za-z0-9._-]*`) keep their folder. A name that would grow
 * too long is cut and ends in `~~` and a hash of the whole id, which no shorter name can end in.
 */
export function folderNameFor(contentId: string): string {
  let name = '';
  for (const [index, character] of [...contentId].entries()) {
    const kept = /^[A-Za-z0-9_-]$/.test(character) || (character === '.' && index > 0);
    name += kept ? character : escape(character);
  }
  if (name.length <= MAX_FOLDER_NAME_LENGTH) return name;
  const hash = createHash('sha256').update(contentId).digest('hex').slice(0, HASH_LENGTH);
  const head = name.slice(0, MAX_FOLDER_NAME_LENGTH - HASH_MARK.length - HASH_LENGTH).replace(/~[0-9A-F]?$/, '');
  return `${head}${HASH_MARK}${hash}`;
}

function escape(character: string): string {
  return [...Buffer.from(character, 'utf8')]
    .map((byte) => `~${byte.toString(16).toUpperCase().padStart(2, '0')}`)
    .join('');
}
