import { spawn, type ChildProcess } from 'node:child_process';
import { BUILT_MAIN } from './service-process.js';
import { freePort } from './redis.js';

/** One service process: `node dist/bundle/main.js` with the given settings, its output kept line by line. */
export interface ServiceProcess {
  url: string;
  child: ChildProcess;
  /** Every line it wrote to stdout or stderr so far. */
  lines: string[];
  /** Lines containing `text`. */
  linesWith(text: string): string[];
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts a service process on a free port and resolves once its /health answers 200. */
export async function startServiceProcess(env: Record<string, string>, timeoutMs = 30_000): Promise<ServiceProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [BUILT_MAIN], {
    env: { PATH: process.env.PATH, NO_COLOR: '1', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    let partial = '';
    stream.on('data', (chunk: Buffer) => {
      const parts = (partial + chunk.toString()).split('\n');
      partial = parts.pop()!;
      lines.push(...parts);
    });
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`The process exited with ${child.exitCode}:\n${lines.join('\n')}`);
    const status = await fetch(`${url}/health`).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`No healthy answer from ${url} within ${timeoutMs} ms:\n${lines.join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    child,
    lines,
    linesWith: (text) => lines.filter((line) => line.includes(text)),
    stop: async (graceMs = 10_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
