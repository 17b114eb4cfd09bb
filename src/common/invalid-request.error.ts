/**
 * Thrown where a person's input is wrong, by services and pure code alike; the message says what
 * to fix. The exception filter answers it 400 (JSON, or plain text on the Opencast endpoints).
 */
export class InvalidRequestError extends Error {}

/**
 * Runs `check`; an InvalidRequestError it throws is thrown again with `where` (the part of the
 * request that was checked, e.g. `downloadClips[0].filter`) in front of its message.
 */
export function checkWithin<T>(where: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof InvalidRequestError) throw new InvalidRequestError(`${where}: ${error.message}`);
    throw error;
  }
}
