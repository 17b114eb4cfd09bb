const DAY_MS = 24 * 60 * 60 * 1000;

/** `instant` moved by whole days of 24 hours (negative for earlier); UTC has no daylight saving to skip. */
export function addDays(instant: Date, days: number): Date {
  return new Date(instant.getTime() + days * DAY_MS);
}
