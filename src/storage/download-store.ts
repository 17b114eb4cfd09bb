import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { insideRoot } from '../security/path-containment.js';
import { folderNameFor } from './folder-name.js';

/** Where one run of a download writes: an empty folder for intermediate files, and the MP4 it makes. */
export interface DownloadWork {
  dir: string;
  output: string;
}

/**
 * The whole life of a download's files: a work folder while it is made, the finished MP4 published
 * at `downloads/<folder>/<file>.mp4` under the data directory, served from there, and removed.
 * The local disk is the only implementation; an object store can take its place behind the same
 * methods without the processor noticing.
 */
@Injectable()
export class DownloadStore {
  private readonly root: string;
  private readonly workRoot: string;

  constructor(config: AppConfig) {
    this.root = config.downloadsDir;
    this.workRoot = join(config.dataDir, 'work');
  }

  /** The `downloads/<folder>/<file>` path a new download is published at; the folder comes from its content id. */
  downloadPathFor(contentId: string, fileName: string): string {
    return `downloads/${folderNameFor(contentId)}/${fileName}`;
  }

  /**
   * A fresh, empty work folder for one run of the download; what an earlier run left is removed.
   * It is not the download's folder: a download deleted while it runs never gets its folder back.
   */
  async startWork(downloadId: string): Promise<DownloadWork> {
    const dir = insideRoot(downloadId, this.workRoot, downloadId, 'the work directory');
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    return { dir, output: join(dir, 'download.mp4.part') };
  }

  /** Moves the finished MP4 into place in one step: nobody ever sees half a file at its path. */
  async publish(work: DownloadWork, downloadPath: string): Promise<void> {
    const finalPath = this.absolutePath(downloadPath);
    await mkdir(dirname(finalPath), { recursive: true });
    await rename(work.output, finalPath);
  }

  /** Removes the run's work folder and whatever is still in it; a missing folder is fine. */
  async discardWork(downloadId: string): Promise<void> {
    await rm(insideRoot(downloadId, this.workRoot, downloadId, 'the work directory'), {
      recursive: true,
      force: true,
    });
  }

  /** The file to serve for a published download (sendFile streams it with Range support). */
  fileToServe(downloadPath: string): string {
    return this.absolutePath(downloadPath);
  }

  /** Removes a published MP4 (a retry makes it again); a missing file is fine. */
  async unpublish(downloadPath: string): Promise<void> {
    await rm(this.absolutePath(downloadPath), { force: true });
  }

  /** Removes a download's folder and everything in it; a missing folder is fine. */
  async removeFolder(contentId: string): Promise<void> {
    await rm(insideRoot(folderNameFor(contentId), this.root, contentId, 'the downloads directory'), {
      recursive: true,
      force: true,
    });
  }

  private absolutePath(downloadPath: string): string {
    return insideRoot(downloadPath.replace(/^downloads\//, ''), this.root, downloadPath, 'the downloads directory');
  }
}
