import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { link, mkdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { insideRoot } from '../storage/source-locator.js';

/** Where one element's files are published, relative to the distribution directory and to its base URL. */
export interface ElementLocation {
  organization: string;
  channelId: string;
  mediaPackageId: string;
  elementId: string;
}

/**
 * The published tree `<dir>/<organization>/<channel>/<mediapackage>/<element>/<file>` that
 * /static serves. Nothing is ever written or deleted outside DISTRIBUTION_DIR.
 */
@Injectable()
export class PublishedFiles {
  private readonly root: string;

  constructor(config: AppConfig) {
    this.root = config.distribution.directory;
    mkdirSync(this.root, { recursive: true });
  }

  elementFolder(location: ElementLocation): string {
    return this.inside(join(location.organization, location.channelId, location.mediaPackageId, location.elementId));
  }

  /** Publishes several files all or nothing: stage each, then commit, or roll back. */
  startPublication(): Publication {
    return new Publication((path) => this.inside(path));
  }

  /**
   * Removes the element's folder, then the mediapackage's folder if nothing else is left in it.
   * An element that was never published, or is gone already, is fine.
   */
  async retract(location: ElementLocation): Promise<void> {
    const folder = this.elementFolder(location);
    await rm(folder, { recursive: true, force: true });
    await removeIfEmpty(dirname(folder));
  }

  private inside(path: string): string {
    return insideRoot(path, this.root);
  }
}

interface StagedFile {
  temporary: string;
  destination: string;
  /** The file that was in place before, kept as a hard link until the publication is final. */
  backup?: string;
  committed: boolean;
}

/**
 * Files are written under hidden temporary names next to their destination and renamed into
 * place, so readers never see a half-written file and a republished file is swapped atomically.
 * A replaced file stays as a backup until `finish`, so a rollback restores the previous state.
 */
export class Publication {
  private readonly staged: StagedFile[] = [];
  private readonly createdFolders: string[] = [];

  constructor(private readonly checkInside: (path: string) => string) {}

  /** Calls `write` with a temporary path in the destination's folder; the file appears on commit. */
  async stage(destination: string, write: (temporaryPath: string) => Promise<unknown>): Promise<void> {
    const target = this.checkInside(destination);
    const folder = dirname(target);
    const created = await mkdir(folder, { recursive: true });
    if (created) this.createdFolders.push(...foldersBetween(created, folder));
    const file: StagedFile = { temporary: hiddenSibling(target, 'tmp'), destination: target, committed: false };
    this.staged.push(file);
    await write(file.temporary);
  }

  /** Renames every staged file into place; after a failure, call `rollback`. */
  async commit(): Promise<void> {
    for (const file of this.staged) {
      if (await exists(file.destination)) {
        file.backup = hiddenSibling(file.destination, 'bak');
        await link(file.destination, file.backup);
      }
      await rename(file.temporary, file.destination);
      // rename(2) does nothing when both names are links to one file (republishing a hard link).
      await rm(file.temporary, { force: true });
      file.committed = true;
    }
  }

  /** Drops the backups: the publication is final. */
  async finish(): Promise<void> {
    await Promise.all(this.staged.map((file) => file.backup && rm(file.backup, { force: true })));
  }

  /** Restores every destination as it was before and removes the folders this publication created. */
  async rollback(): Promise<void> {
    const staged = this.staged.splice(0);
    for (const file of staged.reverse()) {
      await rm(file.temporary, { force: true });
      if (!file.committed) {
        if (file.backup) await rm(file.backup, { force: true });
        continue;
      }
      if (file.backup) await rename(file.backup, file.destination);
      else await rm(file.destination, { force: true });
    }
    for (const folder of this.createdFolders.splice(0).reverse()) await removeIfEmpty(folder);
  }
}

function hiddenSibling(path: string, suffix: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.${suffix}`);
}

/** `first` and each folder below it down to `last`, outermost first. */
function foldersBetween(first: string, last: string): string[] {
  const folders: string[] = [];
  for (let folder = last; folder.startsWith(first); folder = dirname(folder)) {
    folders.unshift(folder);
    if (folder === first) break;
  }
  return folders;
}

async function removeIfEmpty(folder: string): Promise<void> {
  try {
    await rmdir(folder);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOENT') throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
