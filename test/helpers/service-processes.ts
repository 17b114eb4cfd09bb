import { spawn, type ChildProcess } from 'node:child_process';
import { BUILT_MAIN } from './build.js';
import { freePort, untilServing } from './ports.js';

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

/** Starts a service process on a free port and resolves once it answers /health itself. */
export async function startServiceProcess(env: Record<string, string>, timeoutMs = 30_000): Promise<ServiceProcess> {
  // Another process can bind the chosen port before the service does: then it starts on another.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const service = spawnService(env, port);
    const output = () => service.lines.join('\n');
    const outcome = await untilServing(service.child, port, '/health', output, timeoutMs);
    if (outcome === 'serving') return service;
    if (attempt === 3) throw new Error(`Ports ${port} and two before it were taken before the service bound them`);
  }
}

function spawnService(env: Record<string, string>, port: number): ServiceProcess {
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
    stream.on('end', () => partial && lines.push(partial));
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url: `http://127.0.0.1:${port}`,
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
