import { addDays } from '../common/days.js';

/**
 * A download expires DOWNLOAD_EXPIRY_DAYS after it completed, or after it failed, or after it
 * was created when it never finished. From then on its link answers 404 and the cleanup deletes it.
 */

/** The instant a download that completed (or failed, or was created) at `since` expires. */
export function expiresAt(since: Date, expiryDays: number): Date {
  return addDays(since, expiryDays);
}

export function hasExpired(since: Date, expiryDays: number, now: Date): boolean {
  return expiresAt(since, expiryDays).getTime() <= now.getTime();
}

/**
 * Downloads that completed (or failed, or were created) before this instant expired `bufferDays`
 * or more days ago: what `DELETE /voddownload/?buffer=N` and the cleanup delete.
 */
export function expiredBefore(now: Date, expiryDays: number, bufferDays = 0): Date {
  return addDays(now, -(expiryDays + bufferDays));
}
