import { spawn } from 'node:child_process';

export interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs one of the service's entry points (`src/main.ts`, a command) from its sources, compiled on
 * the fly as the tests compile them, until it exits; killed after `timeoutMs` if it never does.
 */
export function runEntryPoint(file: string, env: Record<string, string>, timeoutMs = 30_000): Promise<Exit> {
  const child = spawn(process.execPath, ['--import', './test/helpers/ts-loader.mjs', file], {
    env: { PATH: process.env.PATH, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}
