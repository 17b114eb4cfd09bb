/**
 * Rules for the names that become folders and files under the distribution directory. Each is
 * one path segment: no separators, no "." or "..", nothing hidden (names starting with "." are
 * the publisher's temporary files and are never served).
 */
const SAFE_ID = /^[A-Za-z0-9_][A-Za-z0-9._~@+-]{0,254}$/;
// File names from Opencast's working file repository are sanitised already; allow a little more
// (spaces, parentheses, non-ASCII letters) but never separators, control characters or a leading dot.
const UNSAFE_FILE_NAME = /[/\\\u0000-\u001f\u007f]/;

/** The problem with `value` as an id segment (channel, organization, mediapackage or element id), or null. */
export function idSegmentProblem(what: string, value: string): string | null {
  if (SAFE_ID.test(value)) return null;
  return `${what} ${JSON.stringify(value)} is not allowed: use letters, digits and . _ ~ @ + - (not starting with "." or "-", at most 255 characters)`;
}

/** The problem with `value` as a published file name, or null. */
export function fileNameProblem(value: string): string | null {
  if (value === '' || value.startsWith('.') || UNSAFE_FILE_NAME.test(value) || Buffer.byteLength(value) > 255) {
    return `The file name ${JSON.stringify(value)} is not allowed: it must be one path segment, not start with "." and hold no control characters`;
  }
  return null;
}

/**
 * The file name a source names: for a URL the last segment of its path, percent-decoded; for a
 * plain path its last segment as written (`#`, `?` and `%` are ordinary characters there).
 * '' when it names a folder.
 */
export function fileNameOf(source: string): string {
  if (hasScheme(source)) {
    let pathname: string;
    try {
      pathname = new URL(source).pathname;
    } catch {
      return '';
    }
    const last = pathname.slice(pathname.lastIndexOf('/') + 1);
    try {
      return decodeURIComponent(last);
    } catch {
      return last;
    }
  }
  return source.slice(source.lastIndexOf('/') + 1);
}

/** A URI reference without a scheme (relative or root-relative) as a file path: without query or fragment, percent-decoded. */
export function decodePathReference(reference: string): string {
  const path = reference.split(/[?#]/)[0];
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** An element's `<url>` as the source to read: URLs as they are, relative references decoded like any URI. */
export function sourceOfElementUrl(url: string): string {
  return hasScheme(url) ? url : decodePathReference(url);
}

// Two letters at least: "C:" is a drive letter, not a scheme.
function hasScheme(source: string): boolean {
  return /^[a-z][a-z0-9+.-]+:/i.test(source);
}
