/**
 * npm run bench:startup [-- --runs 5]
 *
 * Start-up of an API process (WORKER_ENABLED=false, from the build): the time from spawning
 * `node dist/src/main.js` to the first 200 of /health, and the CPU time the process had used by
 * then (which a busy machine inflates less than the wall time). The data directory is migrated by a
 * first, unmeasured start, as a deployment's is.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './nginx.js';

const args = new Map(
  process.argv.slice(2).flatMap((arg, i, all) => (arg.startsWith('--') ? [[arg.slice(2), all[i + 1]]] : [])),
);
const runs = Number(args.get('runs') ?? 5);

void main();

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-startup-'));
  try {
    await startOnce(dataDir); // creates and migrates the database
    const measured: { wallMs: number; cpuMs: number }[] = [];
    for (let run = 1; run <= runs; run++) {
      const result = await startOnce(dataDir);
      measured.push(result);
      console.log(`run ${run}: ${result.wallMs.toFixed(0)} ms to the first 200 of /health (CPU ${result.cpuMs} ms)`);
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    console.log(
      `\nmedian of ${runs}: ${median(measured.map((m) => m.wallMs)).toFixed(0)} ms ` +
        `(CPU ${median(measured.map((m) => m.cpuMs))} ms)`,
    );
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function startOnce(dataDir: string): Promise<{ wallMs: number; cpuMs: number }> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, ['dist/src/main.js'], {
    env: { ...process.env, DATA_DIR: dataDir, PORT: String(port), WORKER_ENABLED: 'false' },
    stdio: 'ignore',
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`The service exited with ${child.exitCode}`);
      const status = await fetch(`http://127.0.0.1:${port}/health`).then(
        (response) => response.status,
        () => 0,
      );
      if (status === 200) break;
      if (performance.now() - started > 30_000) throw new Error('No 200 from /health within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return { wallMs: performance.now() - started, cpuMs: cpuMsOf(child.pid!) };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

/** User and system CPU time of a process so far, from /proc (Linux); NaN elsewhere. */
function cpuMsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 a second on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}
