/**
 * npm run bench:serve [-- --seconds 4 --rounds 3 --connections 10]
 *
 * Serving a finished download, five ways on the same files in one run: the service alone (Node
 * sends the file), the service behind nginx (deploy/nginx.conf, DOWNLOAD_ACCEL_REDIRECT: nginx
 * checks with the service by auth_request, keeps the answer, and sends the file), the same nginx
 * on the signed link the API hands out with DOWNLOAD_LINK_SECRET (nginx checks the signature
 * alone), the plain X-Accel-Redirect mode (the same file without its file locations: every request
 * asks the service) and nginx alone (the internal locations, opened to clients).
 * Two files: a ~90 MB MP4 and a 0.1 MB one. wrk drives each on loopback; medians of the rounds.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

type Target =
  'service alone' | 'service behind nginx' | 'behind nginx, signed link' | 'plain X-Accel-Redirect' | 'nginx alone';
const TARGETS: Target[] = [
  'service alone',
  'service behind nginx',
  'behind nginx, signed link',
  'plain X-Accel-Redirect',
  'nginx alone',
];
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
    const upstreamPort = Number(new URL(behind.url).port);
    const front: RunningNginx = await startNginx({ ...folders, upstreamPort, downloadLinkSecret: LINK_SECRET });
    processes.push(front);
    const plain: RunningNginx = await startNginx({ ...folders, upstreamPort, plainAccelRedirect: true });
    processes.push(plain);
    const bare: RunningNginx = await startNginx({ ...folders, openInternalLocations: true });
    processes.push(bare);
    const servers: Record<Target, number[]> = {
      'service alone': [alone.pid],
      'service behind nginx': [behind.pid, nginxWorker(front.pid)],
      'behind nginx, signed link': [behind.pid, nginxWorker(front.pid)],
      'plain X-Accel-Redirect': [behind.pid, nginxWorker(plain.pid)],
      'nginx alone': [nginxWorker(bare.pid)],
    };
    const urlOf = (target: Target, downloadPath: string) =>
      target === 'service alone'
        ? `${alone.url}/${downloadPath}`
        : target === 'service behind nginx'
          ? `${front.url}/${downloadPath}`
          : target === 'behind nginx, signed link'
            ? `${front.url}${signedLinks.get(downloadPath)}`
            : target === 'plain X-Accel-Redirect'
              ? `${plain.url}/${downloadPath}`
              : `${bare.url}${NGINX_ACCEL_PREFIX}/${downloadPath}`;

    const results = new Map<string, Measured[]>();
    for (let round = 0; round < rounds; round++) {
      for (const [name, { downloadPath }] of Object.entries(files)) {
        // Rotate the order so that no target always runs first or last on a warming machine.
        for (const target of TARGETS.map((_, i) => TARGETS[(i + round) % TARGETS.length])) {
          const url = urlOf(target, downloadPath);
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

function report(results: Map<string, Measured[]>, files: string[]): void {
  console.log(`\nwrk, ${connections} connections, ${rounds} rounds of ${seconds} s on loopback; medians\n`);
  console.log('file            target                        req/s        MB/s   CPU µs/request');
  for (const file of files) {
    const of = (target: Target) => {
      const measured = results.get(`${file}|${target}`)!;
      return {
        requestsPerSecond: median(measured.map((m) => m.requestsPerSecond)),
        bytesPerSecond: median(measured.map((m) => m.bytesPerSecond)),
        cpuMicrosecondsPerRequest: median(measured.map((m) => m.cpuMicrosecondsPerRequest)),
      };
    };
    for (const target of TARGETS) {
      const { requestsPerSecond, bytesPerSecond, cpuMicrosecondsPerRequest } = of(target);
      console.log(
        `${file.padEnd(16)}${target.padEnd(26)}${requestsPerSecond.toFixed(0).padStart(9)}${(bytesPerSecond / 1e6).toFixed(0).padStart(12)}` +
          `${cpuMicrosecondsPerRequest.toFixed(0).padStart(17)}`,
      );
    }
    const nginx = of('nginx alone').bytesPerSecond;
    console.log(
      `  ratios to nginx alone: service alone ${(of('service alone').bytesPerSecond / nginx).toFixed(2)}, ` +
        `service behind nginx ${(of('service behind nginx').bytesPerSecond / nginx).toFixed(2)}, ` +
        `signed link ${(of('behind nginx, signed link').bytesPerSecond / nginx).toFixed(2)}, ` +
        `plain X-Accel-Redirect ${(of('plain X-Accel-Redirect').bytesPerSecond / nginx).toFixed(2)}\n`,
    );
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
  const children = readFileSync(`/proc/${masterPid}/task/${masterPid}/children`, 'utf8').trim().split(/\s+/);
  const workers = children.filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('worker process'));
  if (workers.length !== 1) throw new Error(`nginx ${masterPid} has ${workers.length} workers, not 1`);
  return Number(workers[0]);
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
  const run = spawnSync('wrk', ['-t1', `-c${connections}`, `-d${duration}s`, '--timeout', '60s', url], {
    encoding: 'utf8',
  });
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
