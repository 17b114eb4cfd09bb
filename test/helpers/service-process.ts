import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { BUILT_MAIN } from './build.js';
import { freePort, untilServing } from './ports.js';

const ROOT = join(import.meta.dirname, '..', '..');

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

/**
 * Starts `main` (the production artefact unless a test names a copy of it) on a free port and
 * resolves once it answers /health/live itself.
 */
export async function startServiceProcess(env: Record<string, string>, main = BUILT_MAIN): Promise<ServiceProcess> {
  // Another process can bind the chosen port before the service does: then it starts on another.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const service = spawnService(env, port, main);
    const outcome = await untilServing(service.child, port, '/health/live', service.output);
    if (outcome === 'serving') return service;
    if (attempt === 3) throw new Error(`Ports ${port} and two before it were taken before the service bound them`);
  }
}

function spawnService(env: Record<string, string>, port: number, main: string): ServiceProcess {
  const child = spawn(process.execPath, [main], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, JOB_POLL_INTERVAL_MS: '50', CLEANUP_CRON: 'off', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    baseUrl: `http://127.0.0.1:${port}`,
    exited,
    output: () => output,
    // Complete lines only: the last one may still be arriving.
    logLines: () =>
      output
        .split('\n')
        .slice(0, -1)
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, any>),
    stop: async (signal) => {
      const sentAt = performance.now();
      child.kill(signal);
      const code = await exited;
      return { code, afterMs: performance.now() - sentAt };
    },
  };
}
