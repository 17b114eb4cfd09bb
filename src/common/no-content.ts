import type { Response } from 'express';

/**
 * The seed API answers 204 instead of 404 or an empty array when there is nothing to return.
 * Returns the value for Nest to send, or sets 204 and returns undefined.
 */
export function noContentWhenEmpty<T>(response: Response, value: T | null | undefined): T | undefined {
  if (value == null || (Array.isArray(value) && value.length === 0)) {
    response.status(204);
    return undefined;
  }
  return value;
}
