/**
 * npm run bench:serve [-- --seconds 4 --rounds 3 --connections 10 --cpu 0|any]
 *
 * Serving a finished download, five ways on the same files in one run: the service alone (Node
 * sends the file), the service behind nginx (deploy/nginx.conf, DOWNLOAD_ACCEL_REDIRECT: nginx
 * checks with the service by auth_request, keeps the answer, and sends the file), the same nginx
 * on the signed link the API hands out with DOWNLOAD_LINK_SECRET (nginx checks the signature
 * alone), the plain X-Accel-Redirect mode (the same file without its file locations: every request
 * asks the service) and nginx alone (the internal locations, opened to clients); and the same file
 * published under /static/, which nginx sends alone.
 * Two files: a ~90 MB MP4 and a 0.1 MB one. wrk drives each on loopback; medians of the rounds.
 *
 * wrk and every serving process run on one CPU (--cpu 0, the default), so that each request's
 * whole cost, client and server, is paid on that core: on this 2-core machine, with wrk and nginx
 * on different cores, nginx alone against itself spread from 13,600 to 26,600 requests/s between
 * rounds of the 0.1 MB file, as wakeups across cores and other tenants came and went; on one core,
 * 12,100 to 13,100. `--cpu any` leaves the placement to the kernel.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { freePort, median } from './measure.js';
import { NGINX_ACCEL_PREFIX, nginxInstalled, startNginx, type RunningNginx } from './nginx.js';

const args = new Map(
  process.argv.slice(2).flatMap((arg, i, all) => (arg.startsWith('--') ? [[arg.slice(2), all[i + 1]]] : [])),
);
const seconds = Number(args.get('seconds') ?? 4);
const rounds = Number(args.get('rounds') ?? 3);
const connections = Number(args.get('connections') ?? 4);
/** The one CPU wrk and the serving processes run on; undefined (`--cpu any`): wherever the kernel puts them. */
const cpu = args.get('cpu') === 'any' ? undefined : String(Number(args.get('cpu') ?? 0));

type Target =
  | 'service alone'
  | 'service behind nginx'
  | 'behind nginx, signed link'
  | 'behind nginx, /static/'
  | 'plain X-Accel-Redirect'
  | 'nginx alone';
const TARGETS: Target[] = [
  'service alone',
  'service behind nginx',
  'behind nginx, signed link',
  'behind nginx, /static/',
  'plain X-Accel-Redirect',
  'nginx alone',
];
/** Where the bench publishes each file again, as /distribution/download would (nginx sends these alone). */
const PUBLISHED_FOLDER = 'mh_default_org/engage-player/bench-mp/bench-track';
/** DOWNLOAD_LINK_SECRET of the service behind nginx, and nginx's. */
const LINK_SECRET = randomBytes(32).toString('base64');

interface Measured {
  requestsPerSecond: number;
  bytesPerSecond: number;
  /** CPU time of the serving processes (the service, nginx's worker) per request: steadier than req/s on a shared machine. */
  cpuMicrosecondsPerRequest: number;
}

void main();

async function main(): Promise<void> {
  for (const tool of ['wrk', 'nginx']) {
    if (spawnSync(tool, ['-v'], { stdio: 'ignore' }).error || (tool === 'nginx' && !nginxInstalled())) {
      throw new Error(`bench:serve needs ${tool} (apt-get install ${tool})`);
    }
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-serve-'));
  const processes: { stop(): Promise<void> | void }[] = [];
  try {
    const alone = await startService(dataDir, {});
    processes.push(alone);
    const source = join(dataDir, 'media', 'source.mp4');
    mkdirSync(dirname(source), { recursive: true });
    makeLargeMp4(source);
    const event = await post(alone.url, '/event', { title: 'Bench', sourceUrl: 'source.mp4', duration: 70 });
    const files = {
      'MP4 ~90 MB': await publishDownload(alone.url, dataDir, event.id, 'large', (file) => linkSync(source, file)),
      '0.1 MB file': await publishDownload(alone.url, dataDir, event.id, 'small', (file) =>
        writeFileSync(file, randomBytes(100 * 1024)),
      ),
    };
    const behind = await startService(dataDir, {
      DOWNLOAD_ACCEL_REDIRECT: NGINX_ACCEL_PREFIX,
      DOWNLOAD_LINK_SECRET: LINK_SECRET,
    });
    processes.push(behind);
    const signedLinks = new Map<string, string>();
    for (const download of Object.values(files))
      signedLinks.set(download.downloadPath, await signedLinkOf(behind.url, download.id));
    const folders = { downloadsDir: join(dataDir, 'downloads'), staticDir: join(dataDir, 'static') };
    const publishedPaths = new Map<string, string>();
    for (const { downloadPath } of Object.values(files)) {
      const published = join(PUBLISHED_FOLDER, downloadPath.split('/').at(-1)!);
      mkdirSync(dirname(join(folders.staticDir, published)), { recursive: true });
      linkSync(join(dataDir, downloadPath), join(folders.staticDir, published));
      publishedPaths.set(downloadPath, `/static/${published}`);
    }
    const upstreamPort = Number(new URL(behind.url).port);
    const front: RunningNginx = await startNginx({ ...folders, upstreamPort, downloadLinkSecret: LINK_SECRET });
    processes.push(front);
    const plain: RunningNginx = await startNginx({ ...folders, upstreamPort, plainAccelRedirect: true });
    processes.push(plain);
    const bare: RunningNginx = await startNginx({ ...folders, openInternalLocations: true });
    processes.push(bare);
    if (cpu !== undefined) {
      for (const pid of [alone.pid, behind.pid]) pinToCpu(pid);
      for (const { pid } of [front, plain, bare]) for (const process of [pid, ...childrenOf(pid)]) pinToCpu(process);
    }
    const servers: Record<Target, number[]> = {
      'service alone': [alone.pid],
      'service behind nginx': [behind.pid, nginxWorker(front.pid)],
      'behind nginx, signed link': [behind.pid, nginxWorker(front.pid)],
      'behind nginx, /static/': [behind.pid, nginxWorker(front.pid)],
      'plain X-Accel-Redirect': [behind.pid, nginxWorker(plain.pid)],
      'nginx alone': [nginxWorker(bare.pid)],
    };
    const urlOf: Record<Target, (downloadPath: string) => string> = {
      'service alone': (downloadPath) => `${alone.url}/${downloadPath}`,
      'service behind nginx': (downloadPath) => `${front.url}/${downloadPath}`,
      'behind nginx, signed link': (downloadPath) => `${front.url}${signedLinks.get(downloadPath)}`,
      'behind nginx, /static/': (downloadPath) => `${front.url}${publishedPaths.get(downloadPath)}`,
      'plain X-Accel-Redirect': (downloadPath) => `${plain.url}/${downloadPath}`,
      'nginx alone': (downloadPath) => `${bare.url}${NGINX_ACCEL_PREFIX}/${downloadPath}`,
    };

    const results = new Map<string, Measured[]>();
    for (let round = 0; round < rounds; round++) {
      for (const [name, { downloadPath }] of Object.entries(files)) {
        // Rotate the order so that no target always runs first or last on a warming machine.
        for (const target of TARGETS.map((_, i) => TARGETS[(i + round) % TARGETS.length])) {
          const url = urlOf[target](downloadPath);
          await check(url, statSync(join(dataDir, downloadPath)).size);
          wrk(url, 1); // warm-up
          const key = `${name}|${target}`;
          const cpuBefore = cpuSecondsOf(servers[target]);
          const measured = wrk(url, seconds);
          const cpu = cpuSecondsOf(servers[target]) - cpuBefore;
          measured.cpuMicrosecondsPerRequest = (cpu * 1e6) / (measured.requestsPerSecond * seconds);
          results.set(key, [...(results.get(key) ?? []), measured]);
        }
      }
    }
    report(results, Object.keys(files));
  } finally {
    for (const running of processes.reverse()) await running.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * Medians of the rounds; each ratio is the median of the rounds' own ratios (the target against
 * nginx alone in the same round), which a machine growing busier or quieter during the run moves
 * less than a ratio of medians.
 */
function report(results: Map<string, Measured[]>, files: string[]): void {
  const placement = cpu === undefined ? 'wherever the kernel put them' : `wrk and the servers on CPU ${cpu}`;
  console.log(`\nwrk, ${connections} connections, ${rounds} rounds of ${seconds} s on loopback, ${placement}; medians`);
  console.log(
    "ratios to nginx alone, per round: of throughput, and of CPU per request (nginx alone's ÷ the target's)\n",
  );
  console.log(
    'file            target                        req/s        MB/s   CPU µs/request   throughput   CPU per request',
  );
  for (const file of files) {
    const nginx = results.get(`${file}|nginx alone`)!;
    for (const target of TARGETS) {
      const measured = results.get(`${file}|${target}`)!;
      const middle = (value: (m: Measured, round: number) => number) => median(measured.map(value));
      const cells = [
        middle((m) => m.requestsPerSecond)
          .toFixed(0)
          .padStart(9),
        (middle((m) => m.bytesPerSecond) / 1e6).toFixed(0).padStart(12),
        middle((m) => m.cpuMicrosecondsPerRequest)
          .toFixed(0)
          .padStart(17),
      ];
      if (target !== 'nginx alone') {
        const throughput = middle((m, round) => m.bytesPerSecond / nginx[round].bytesPerSecond);
        const cpuRatio = middle((m, round) => nginx[round].cpuMicrosecondsPerRequest / m.cpuMicrosecondsPerRequest);
        cells.push(throughput.toFixed(2).padStart(13), cpuRatio.toFixed(2).padStart(18));
      }
      console.log(`${file.padEnd(16)}${target.padEnd(26)}${cells.join('')}`);
    }
    console.log();
  }
}

/** An API-only service process on `dataDir`, from the build (dist/src/main.js). */
async function startService(dataDir: string, env: Record<string, string>) {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['dist/src/main.js'], {
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: String(port),
      WORKER_ENABLED: 'false',
      CLEANUP_CRON: 'off',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`The service exited with ${child.exitCode}`);
    const healthy = await fetch(`${url}/health`).then(
      (response) => response.ok,
      () => false,
    );
    if (healthy) break;
    if (attempt > 300) throw new Error('The service did not start within 15 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    child.kill('SIGTERM');
    await exited;
  };
  return { url, pid: child.pid!, stop };
}

/** The one worker of an nginx started with `worker_processes 1` (its cache manager and loader are children too). */
function nginxWorker(masterPid: number): number {
  const workers = childrenOf(masterPid).filter((pid) =>
    readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('worker process'),
  );
  if (workers.length !== 1) throw new Error(`nginx ${masterPid} has ${workers.length} workers, not 1`);
  return workers[0];
}

function childrenOf(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

/** Moves every thread of the process to `cpu` (util-linux's taskset). */
function pinToCpu(pid: number): void {
  const run = spawnSync('taskset', ['--all-tasks', '--pid', '--cpu-list', cpu!, String(pid)], { encoding: 'utf8' });
  // nginx's cache loader exits on its own a minute after the start.
  if (run.status !== 0 && existsSync(`/proc/${pid}`)) throw new Error(`taskset ${pid}: ${run.stderr}`);
}

/** User and system CPU seconds the processes used so far (Linux: /proc/<pid>/stat, in clock ticks of 10 ms). */
function cpuSecondsOf(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / 100;
}

/**
 * A completed download whose file `make` writes: created through the API (an API-only process
 * leaves it queued), then marked completed in the database, as a worker would, with its file in place.
 */
async function publishDownload(
  url: string,
  dataDir: string,
  eventId: string,
  name: string,
  make: (file: string) => void,
): Promise<{ id: string; downloadPath: string }> {
  const download = await post(url, '/voddownload', {
    emailAddress: 'bench@example.com',
    contentId: `bench-${name}`,
    mp4Filename: `${name}.mp4`,
    downloadClips: [{ eventId }],
  });
  const file = join(dataDir, download.downloadPath);
  mkdirSync(dirname(file), { recursive: true });
  make(file);
  const db = new Database(join(dataDir, 'app.sqlite'));
  const now = new Date().toISOString().replace('T', ' ').replace('Z', '');
  db.prepare(`UPDATE vod_download SET status = 'completed', progress = 100, completionDate = ? WHERE id = ?`).run(
    now,
    download.id,
  );
  db.close();
  return { id: download.id, downloadPath: download.downloadPath };
}

/** The path and query of the download's link as the API hands it out (signed with DOWNLOAD_LINK_SECRET). */
async function signedLinkOf(url: string, id: string): Promise<string> {
  const response = await fetch(`${url}/voddownload/${id}`);
  if (!response.ok) throw new Error(`GET /voddownload/${id}: ${response.status}`);
  const { downloadUrl } = (await response.json()) as { downloadUrl: string };
  const link = new URL(downloadUrl);
  if (!link.searchParams.has('md5')) throw new Error(`${downloadUrl} is not signed`);
  return `${link.pathname}${link.search}`;
}

/** About 90 MB of H.264 (70 s of 720p at a low quantiser), generated in a few seconds. */
function makeLargeMp4(file: string): void {
  const ffmpeg = spawnSync('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=25:duration=70'],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '10', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', file],
  ]);
  if (ffmpeg.status !== 0) throw new Error(`ffmpeg failed: ${ffmpeg.stderr}`);
}

async function post(url: string, path: string, body: unknown): Promise<Record<string, any>> {
  const response = await fetch(url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
  return response.json() as Promise<Record<string, any>>;
}

/**
 * Each target must send the whole file, or its figures mean nothing. A fresh connection each time:
 * a pooled one may have idled past the server's keep-alive timeout during the last wrk run.
 */
function check(url: string, size: number): Promise<void> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (response) => {
      let length = 0;
      response.on('data', (chunk: Buffer) => (length += chunk.length));
      response.on('end', () =>
        response.statusCode === 200 && length === size
          ? resolve()
          : reject(new Error(`${url} answered ${response.statusCode} with ${length} bytes, not the file's ${size}`)),
      );
    }).on('error', reject);
  });
}

function wrk(url: string, duration: number): Measured {
  // A 90 MB answer takes seconds per connection: wrk's default 2 s timeout would drop them.
  const command = ['wrk', '-t1', `-c${connections}`, `-d${duration}s`, '--timeout', '60s', url];
  const pinned = cpu === undefined ? command : ['taskset', '--cpu-list', cpu, ...command];
  const run = spawnSync(pinned[0], pinned.slice(1), { encoding: 'utf8' });
  const requests = /Requests\/sec:\s+([\d.]+)/.exec(run.stdout);
  const transfer = /Transfer\/sec:\s+([\d.]+)([KMG]?B)/.exec(run.stdout);
  const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: .*/.exec(run.stdout);
  if (!requests || !transfer || errors) throw new Error(`wrk ${url}:\n${run.stdout}${run.stderr}`);
  const unit = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }[transfer[2]]!;
  return {
    requestsPerSecond: Number(requests[1]),
    bytesPerSecond: Number(transfer[1]) * unit,
    cpuMicrosecondsPerRequest: 0,
  };
}
