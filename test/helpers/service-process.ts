import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { vi } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const MAIN = join(ROOT, 'dist', 'src', 'main.js');

/** The service as it runs in production: `node dist/src/main.js`, its stdout read as JSON log lines. */
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

/** Builds dist/ when a file under src/ is newer than dist/src/main.js (about 15 s; skipped when up to date). */
export function buildServiceOnce(): void {
  const built = statMtime(MAIN);
  if (built !== undefined && newestMtime(join(ROOT, 'src')) < built) return;
  execFileSync('npx', ['nest', 'build'], { cwd: ROOT, stdio: 'pipe' });
}

export async function startServiceProcess(env: Record<string, string>): Promise<ServiceProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
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

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}
