import { rm } from 'node:fs/promises';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { insideRoot } from './source-locator.js';

/**
 * Where finished downloads live: `downloads/<contentId>/<file>.mp4` under the data directory.
 * The local disk is the only implementation; an object store can take its place behind the
 * same methods.
 */
@Injectable()
export class DownloadStore {
  private readonly root: string;

  constructor(config: AppConfig) {
    this.root = config.downloadsDir;
  }

  /** The absolute path of a `downloads/…` path the service handed out. */
  absolutePath(downloadPath: string): string {
    return insideRoot(downloadPath.replace(/^downloads\//, ''), this.root);
  }

  private folderOf(contentId: string): string {
    return insideRoot(contentId, this.root);
  }

  /** Removes a download's folder and everything in it; a missing folder is fine. */
  async removeFolder(contentId: string): Promise<void> {
    await rm(this.folderOf(contentId), { recursive: true, force: true });
  }
}
