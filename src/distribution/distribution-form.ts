import { InvalidRequestError } from '../common/invalid-request.error.js';
import { idSegmentProblem } from './path-segments.js';

/** A form field that cannot be read; the message says what to send instead. */
export class FormFieldError extends InvalidRequestError {}

/**
 * Reads `elementId` in the three forms clients send: a JSON array (`["a","b"]`), the
 * single-quoted form of Opencast's documentation (`['a','b']`) and a bare id (`track-1`).
 * Duplicates collapse, as in Opencast's Set<String>; order is kept; `[]` names no element.
 */
export function parseElementIds(raw: string): string[] {
  const trimmed = raw.trim();
  let ids: unknown;
  if (trimmed.startsWith('[')) {
    ids = parseJsonArray(trimmed) ?? parseJsonArray(singleToDoubleQuotes(trimmed));
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) {
      throw new FormFieldError(
        `elementId ${JSON.stringify(raw)} is not a JSON array of strings such as ["track-1","catalog-1"]`,
      );
    }
  } else {
    ids = [trimmed];
  }
  const unique = [...new Set((ids as string[]).map((id) => id.trim()))];
  // An empty array is a request for nothing, answered with nothing, as Opencast does.
  if (unique.includes('')) throw new FormFieldError('elementId names no element: send an id or a JSON array of ids');
  for (const id of unique) {
    const problem = idSegmentProblem('The element id', id);
    if (problem) throw new FormFieldError(problem);
  }
  return unique;
}

/** Java's Boolean.parseBoolean with a default for an absent field, but strict: only true or false. */
export function parseFlag(name: string, raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = raw.trim().toLowerCase();
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new FormFieldError(`${name} must be true or false, not ${JSON.stringify(raw)}`);
}

function parseJsonArray(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `['a','b\'c']` → `["a","b'c"]`; double-quoted strings pass through untouched. */
function singleToDoubleQuotes(text: string): string {
  return text.replace(/"(?:[^"\\]|\\.)*"|'((?:[^'\\]|\\.)*)'/g, (match, single: string | undefined) =>
    single === undefined ? match : JSON.stringify(single.replace(/\\(.)/g, '$1')),
  );
}
