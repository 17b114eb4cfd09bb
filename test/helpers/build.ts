import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

/** The production artefact, as `npm start` and the units in deploy/ run it: `npm run build`'s bundle. */
export const BUILT_MAIN = join(ROOT, 'dist', 'bundle', 'main.js');

/** What the bundle is made from: the sources and the build's own settings. */
const BUILD_INPUTS = [
  'src',
  'package.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'scripts/bundle.mjs',
  'scripts/bundle-main.js',
];

/**
 * Runs `npm run build` unless the bundle is newer than every build input (about 30 s; nothing
 * when up to date). Test files run in parallel processes, and on a fresh clone several of them
 * find dist/ missing at once: `nest build` empties dist/ before it writes, so a second build would
 * pull the files from under the processes the first one's test started. One build at a time (a
 * lock across processes), and each looks again once it holds the lock.
 */
export async function buildOnce(): Promise<void> {
  await withBuildLock(() => {
    if (!upToDate()) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'pipe' });
  });
}

function upToDate(): boolean {
  if (!existsSync(BUILT_MAIN)) return false;
  const inputs = Math.max(...BUILD_INPUTS.map((input) => newestChange(join(ROOT, input))));
  return statSync(BUILT_MAIN).mtimeMs > inputs;
}

/** Modification time of a file, or of the newest file under a directory. */
function newestChange(path: string): number {
  if (!statSync(path).isDirectory()) return statSync(path).mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** A directory created atomically is the lock, named after this checkout; one left by a dead process is taken over. */
async function withBuildLock(work: () => void, timeoutMs = 180_000): Promise<void> {
  const lock = join(tmpdir(), `media-delivery-build-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (!holderAlive(lock)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new Error(`Another test process has been building dist/ for ${timeoutMs} ms (${lock})`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function holderAlive(lock: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
  } catch {
    // Just created, its pid not yet written (alive, unless that lasts), or just removed.
    const created = statSync(lock, { throwIfNoEntry: false });
    return created !== undefined && Date.now() - created.mtimeMs < 5_000;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
