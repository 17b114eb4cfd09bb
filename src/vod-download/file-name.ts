import { InvalidRequestError } from '../common/invalid-request.error.js';

const MAX_STEM_LENGTH = 150;

export class FileNameError extends InvalidRequestError {}

/**
 * Turns free text (an event title) into a file name stem that is safe on every file system and
 * in a URL without encoding: ASCII letters, digits, ".", "_" and "-".
 */
export function toSafeFileStem(text: string): string {
  const stem = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[/\\]+/g, '-')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/_{2,}/g, '_')
    .replace(/^[._-]+|[._-]+$/g, '')
    .slice(0, MAX_STEM_LENGTH)
    .replace(/[._-]+$/, '');
  return stem;
}

/**
 * A user's requested MP4 name, made safe and ending in `.mp4`. A name that tries to be a path
 * is refused rather than silently changed.
 */
export function toSafeMp4FileName(requested: string): string {
  if (/[/\\\0]/.test(requested) || /^\.+$/.test(requested.trim())) {
    throw new FileNameError(`mp4Filename "${requested}" must be a file name, not a path`);
  }
  const stem = toSafeFileStem(requested.replace(/\.mp4$/i, ''));
  if (stem === '')
    throw new FileNameError(`mp4Filename "${requested}" has no letters or digits to make a file name of`);
  return `${stem}.mp4`;
}
