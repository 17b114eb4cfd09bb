import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { vi } from 'vitest';

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

/** The service as it runs in production: `node dist/bundle/main.js`, its stdout read as JSON log lines. */
export interface ServiceProcess {
  child: ChildProcess;
  baseUrl: string;
  /** Every line written to stdout and stderr so far. */
  output(): string;
  /** The stdout lines that are JSON, parsed. */
  logLines(): Record<string, any>[];
  /** Resolves with the exit code (and how long after `signal` it came). */
  stop(signal: NodeJS.Signals): Promise<{ code: number | null; afterMs: number }>;
  exited: Promise<number | null>;
}

/** `npm run build` when a build input is newer than the bundle (about 30 s; skipped when up to date). */
export function buildServiceOnce(): void {
  const built = statMtime(BUILT_MAIN);
  if (built !== undefined && Math.max(...BUILD_INPUTS.map((input) => newestMtime(join(ROOT, input)))) < built) return;
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'pipe' });
}

/** Starts `main` (the production artefact unless a test names a copy of it) and resolves once /health/live answers 200. */
export async function startServiceProcess(env: Record<string, string>, main = BUILT_MAIN): Promise<ServiceProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [main], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, JOB_POLL_INTERVAL_MS: '50', CLEANUP_CRON: 'off', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const baseUrl = `http://127.0.0.1:${port}`;
  const service: ServiceProcess = {
    child,
    baseUrl,
    exited,
    output: () => output,
    logLines: () =>
      output
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, any>),
    stop: async (signal) => {
      const sentAt = performance.now();
      child.kill(signal);
      const code = await exited;
      return { code, afterMs: performance.now() - sentAt };
    },
  };
  await vi.waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`The service exited with ${child.exitCode}:\n${output}`);
      const response = await fetch(`${baseUrl}/health/live`);
      if (response.status !== 200) throw new Error(`/health/live answered ${response.status}`);
    },
    { timeout: 30_000, interval: 50 },
  );
  return service;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function statMtime(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/** Modification time of a file, or of the newest file under a directory. */
function newestMtime(path: string): number {
  if (!statSync(path).isDirectory()) return statSync(path).mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    newest = Math.max(newest, newestMtime(join(path, entry.name)));
  }
  return newest;
}
