/**
 * npm run bench:startup [-- --runs 5]
 *
 * Start-up of an API process (WORKER_ENABLED=false): the time from spawning `node <entry>` to the
 * first 200 of /health, and the CPU time the process had used by then (which a busy machine
 * inflates less than the wall time). Two entries, started in turn within each run so that both
 * meet the same load: the production start (dist/bundle/main.js, `npm start`: the bundle run with
 * its code cache) and tsc's output loaded module by module (dist/src/main.js, which the bundle is
 * made from). The data directory is migrated by a first, unmeasured start, as a deployment's is.
 * `chrt -f 10 node dist/bench/startup.js` (root) gives the processes a core whenever they can run,
 * for the wall time of a machine that is not overloaded.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, median } from './measure.js';

const args = new Map(
  process.argv.slice(2).flatMap((arg, i, all) => (arg.startsWith('--') ? [[arg.slice(2), all[i + 1]]] : [])),
);
const runs = Number(args.get('runs') ?? 5);

const ENTRIES = [
  { name: 'bundle (dist/bundle/main.js)', path: 'dist/bundle/main.js' },
  { name: 'modules (dist/src/main.js)', path: 'dist/src/main.js' },
];

interface Start {
  wallMs: number;
  cpuMs: number;
}

void main();

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-startup-'));
  try {
    await startOnce(ENTRIES[0].path, dataDir); // creates and migrates the database
    const measured = new Map<string, Start[]>(ENTRIES.map((entry) => [entry.name, []]));
    for (let run = 1; run <= runs; run++) {
      for (const entry of ENTRIES) {
        const result = await startOnce(entry.path, dataDir);
        measured.get(entry.name)!.push(result);
        console.log(
          `run ${run}, ${entry.name}: ${result.wallMs.toFixed(0)} ms to the first 200 of /health (CPU ${result.cpuMs} ms)`,
        );
      }
    }
    console.log(`\nmedians of ${runs}:`);
    const medians = ENTRIES.map((entry) => {
      const starts = measured.get(entry.name)!;
      const wallMs = median(starts.map((start) => start.wallMs));
      const cpuMs = median(starts.map((start) => start.cpuMs));
      console.log(`  ${entry.name}: ${wallMs.toFixed(0)} ms (CPU ${cpuMs} ms)`);
      return { wallMs, cpuMs };
    });
    const [bundle, modules] = medians;
    console.log(
      `  bundle / modules: ${(bundle.wallMs / modules.wallMs).toFixed(2)} wall, ${(bundle.cpuMs / modules.cpuMs).toFixed(2)} CPU`,
    );
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function startOnce(entry: string, dataDir: string): Promise<Start> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [entry], {
    env: { ...process.env, DATA_DIR: dataDir, PORT: String(port), WORKER_ENABLED: 'false' },
    stdio: 'ignore',
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${entry} exited with ${child.exitCode}`);
      const status = await fetch(`http://127.0.0.1:${port}/health`).then(
        (response) => response.status,
        () => 0,
      );
      if (status === 200) break;
      if (performance.now() - started > 30_000) throw new Error(`No 200 from /health of ${entry} within 30 s`);
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
