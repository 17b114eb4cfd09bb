import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { link, mkdir, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { AppConfig } from '../config/app-config.js';
import { insideRoot } from '../security/path-containment.js';

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
export class DownloadChannelStore {
  private readonly root: string;
  private readonly locks = new FolderLocks();

  constructor(
    config: AppConfig,
    private readonly clock: Clock,
  ) {
    this.root = config.distribution.directory;
    mkdirSync(this.root, { recursive: true });
  }

  elementFolder(location: ElementLocation): string {
    return this.inside(join(location.organization, location.channelId, location.mediaPackageId, location.elementId));
  }

  /**
   * Publishes several files into `elementFolders` all or nothing: stage each, then commit, then
   * finish or roll back. Holds those folders until then, so that publications and retractions of
   * one element in this process run one after the other instead of undoing each other.
   */
  async startPublication(elementFolders: readonly string[]): Promise<Publication> {
    const folders = elementFolders.map((folder) => this.inside(folder));
    const release = await this.locks.acquire(folders);
    return new Publication(
      (path) => this.inside(path),
      folders,
      release,
      () => this.clock.now().getTime(),
    );
  }

  /**
   * Removes the element's folder, then the mediapackage's folder if nothing else is left in it.
   * An element that was never published, or is gone already, is fine.
   */
  async retract(location: ElementLocation): Promise<void> {
    const folder = this.elementFolder(location);
    const release = await this.locks.acquire([folder]);
    try {
      await rm(folder, { recursive: true, force: true });
      await removeIfEmpty(dirname(folder));
    } finally {
      release();
    }
  }

  private inside(path: string): string {
    return insideRoot(path, this.root, path, 'the distribution directory');
  }
}

interface StagedFile {
  temporary: string;
  destination: string;
  /** The file that was in place before, kept as a hard link until the publication is final. */
  backup?: string;
  /** Device and inode of the file this publication put in place, once committed. */
  written?: FileIdentity;
}

/** A file that was published before but is not part of this publication, moved aside on commit. */
interface ObsoleteFile {
  path: string;
  backup: string;
}

interface FileIdentity {
  dev: number;
  ino: number;
}

/** Hidden temporary and backup names: `.<name>.<12 hex>.tmp|bak`. */
const HIDDEN_LEFTOVER = /^\..+\.[0-9a-f]{12}\.(tmp|bak)$/;
/** Leftovers older than this were left by a crash; younger ones may belong to another process at work. */
const LEFTOVER_AGE_MS = 60 * 60 * 1000;

/**
 * Files are written under hidden temporary names next to their destination and renamed into
 * place, so readers never see a half-written file and a republished file is swapped atomically.
 * On commit, files of the element folders that this publication does not contain (an old file
 * name, old HLS segments) are moved aside too. Replaced and removed files stay as backups until
 * `finish`, so a rollback restores the previous state.
 */
export class Publication {
  private readonly staged: StagedFile[] = [];
  private readonly obsolete: ObsoleteFile[] = [];
  private readonly createdFolders: string[] = [];
  private readonly sweptFolders = new Set<string>();
  private released = false;

  constructor(
    private readonly checkInside: (path: string) => string,
    private readonly elementFolders: readonly string[],
    private readonly release: () => void,
    private readonly now: () => number,
  ) {}

  /** Calls `write` with a temporary path in the destination's folder; the file appears on commit. */
  async stage(destination: string, write: (temporaryPath: string) => Promise<unknown>): Promise<void> {
    const target = this.checkInside(destination);
    const folder = dirname(target);
    if (!this.elementFolders.includes(folder))
      throw new Error(`${target} is not in an element folder of this publication`);
    const created = await mkdir(folder, { recursive: true });
    if (created) this.createdFolders.push(...foldersBetween(created, folder));
    await this.sweepLeftovers(folder);
    const file: StagedFile = { temporary: hiddenSibling(target, 'tmp'), destination: target };
    this.staged.push(file);
    await write(file.temporary);
  }

  /** Renames every staged file into place and moves the folders' other files aside; after a failure, call `rollback`. */
  async commit(): Promise<void> {
    for (const file of this.staged) {
      if (await exists(file.destination)) {
        file.backup = hiddenSibling(file.destination, 'bak');
        await link(file.destination, file.backup);
      }
      // Taken before the rename: afterwards the destination may already be someone else's file.
      const written = await identityOf(file.temporary);
      await rename(file.temporary, file.destination);
      // rename(2) does nothing when both names are links to one file (republishing a hard link).
      await rm(file.temporary, { force: true });
      file.written = written;
    }
    const kept = new Set(this.staged.map((file) => file.destination));
    for (const folder of new Set(this.staged.map((file) => dirname(file.destination)))) {
      for (const entry of await readdir(folder, { withFileTypes: true })) {
        const path = join(folder, entry.name);
        if (entry.name.startsWith('.') || entry.isDirectory() || kept.has(path)) continue;
        const obsolete = { path, backup: hiddenSibling(path, 'bak') };
        await rename(path, obsolete.backup);
        this.obsolete.push(obsolete);
      }
    }
  }

  /** Drops the backups: the publication is final. */
  async finish(): Promise<void> {
    try {
      await Promise.all([
        ...this.staged.map((file) => file.backup && rm(file.backup, { force: true })),
        ...this.obsolete.map((file) => rm(file.backup, { force: true })),
      ]);
    } finally {
      this.releaseFolders();
    }
  }

  /**
   * Restores every destination as it was before and removes the folders this publication
   * created. A destination that is no longer the file this publication wrote (another process
   * published since) is left alone.
   */
  async rollback(): Promise<void> {
    try {
      for (const file of this.obsolete.splice(0).reverse()) await rename(file.backup, file.path);
      for (const file of this.staged.splice(0).reverse()) {
        await rm(file.temporary, { force: true });
        const stillOurs = file.written !== undefined && sameFile(await identityOf(file.destination), file.written);
        if (stillOurs && file.backup) await rename(file.backup, file.destination);
        else if (stillOurs) await rm(file.destination, { force: true });
        else if (file.backup) await rm(file.backup, { force: true });
      }
      for (const folder of this.createdFolders.splice(0).reverse()) await removeIfEmpty(folder);
    } finally {
      this.releaseFolders();
    }
  }

  /** Removes hidden temporary and backup files that a crash left behind, once per folder. */
  private async sweepLeftovers(folder: string): Promise<void> {
    if (this.sweptFolders.has(folder)) return;
    this.sweptFolders.add(folder);
    const cutoff = this.now() - LEFTOVER_AGE_MS;
    for (const name of await readdir(folder)) {
      if (!HIDDEN_LEFTOVER.test(name)) continue;
      const path = join(folder, name);
      // ctime, not mtime: a hard link keeps its file's old mtime, but linking sets the ctime.
      const info = await stat(path).catch(() => undefined);
      if (info && info.ctimeMs < cutoff) await rm(path, { force: true });
    }
  }

  private releaseFolders(): void {
    if (this.released) return;
    this.released = true;
    this.release();
  }
}

/** In-process locks on folders, taken in a fixed order so that two holders of several cannot deadlock. */
class FolderLocks {
  private readonly tails = new Map<string, Promise<void>>();

  async acquire(folders: readonly string[]): Promise<() => void> {
    const releases: (() => void)[] = [];
    for (const folder of [...new Set(folders)].sort()) releases.push(await this.acquireOne(folder));
    return () => releases.forEach((release) => release());
  }

  private async acquireOne(folder: string): Promise<() => void> {
    const previous = this.tails.get(folder) ?? Promise.resolve();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => held);
    this.tails.set(folder, tail);
    await previous;
    return () => {
      release();
      if (this.tails.get(folder) === tail) this.tails.delete(folder);
    };
  }
}

async function identityOf(path: string): Promise<FileIdentity | undefined> {
  try {
    const { dev, ino } = await stat(path);
    return { dev, ino };
  } catch {
    return undefined;
  }
}

function sameFile(a: FileIdentity | undefined, b: FileIdentity): boolean {
  return a !== undefined && a.dev === b.dev && a.ino === b.ino;
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
