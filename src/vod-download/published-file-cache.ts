/**
 * How long this process trusts that a download's file may be served without asking the database
 * again. Deleting a download drops its entry at once in the process that deletes it; another
 * process (API processes behind a load balancer) keeps serving it for at most this long, or until
 * the deleting process has removed the file. Expiry needs no message: an entry never outlives it.
 */
export const PUBLISHED_FILE_TTL_MS = 2000;
const MAX_ENTRIES = 10_000;

interface Entry {
  downloadPath: string;
  file: PublishedFile;
  validUntil: number;
}

/** A completed download's file that may be served, and until when. */
export interface PublishedFile {
  path: string;
  expiresAt: Date;
}

/**
 * Remembers, for a moment, which `downloads/<folder>/<file>` paths belong to completed downloads
 * that have not expired, so that serving a popular file costs no database round trip per request.
 * Keyed by folder: a folder holds one download, and deleting one names its folder.
 */
export class PublishedFileCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly ttlMs = PUBLISHED_FILE_TTL_MS) {}

  /** The file to serve for `downloadPath`, when it was found valid less than the TTL ago and has not expired since. */
  fileFor(folder: string, downloadPath: string, now: Date): PublishedFile | undefined {
    const entry = this.entries.get(folder);
    if (!entry || entry.downloadPath !== downloadPath) return undefined;
    if (entry.validUntil <= now.getTime()) {
      this.entries.delete(folder);
      return undefined;
    }
    return entry.file;
  }

  remember(folder: string, downloadPath: string, file: PublishedFile, now: Date): void {
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    const validUntil = Math.min(now.getTime() + this.ttlMs, file.expiresAt.getTime());
    this.entries.set(folder, { downloadPath, file, validUntil });
  }

  forget(folder: string): void {
    this.entries.delete(folder);
  }
}
