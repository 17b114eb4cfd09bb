/**
 * Runs deploy/nginx.conf on a loopback port for the nginx test and bench:serve: the shipped file with
 * only its addresses and paths replaced, each replacement checked, so the file tested is the file shipped.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from './measure.js';

/** Tests and benches run from the repository's root (npm scripts, vitest). */
export const NGINX_CONF = resolve('deploy/nginx.conf');
/** The Content-Types deploy/nginx.conf includes for /static/, generated from the service's table. */
export const NGINX_TYPES_CONF = resolve('deploy/media-delivery-types.conf');
/** The X-Accel-Redirect prefix deploy/nginx.conf's internal locations use. */
export const NGINX_ACCEL_PREFIX = '/internal';

export interface NginxSetup {
  /** The service's port (the upstream); undefined: nginx serves the folders alone, no upstream needed. */
  upstreamPort?: number;
  downloadsDir: string;
  staticDir: string;
  /** Write the access log (off: it would cost the bench a write per request); RunningNginx.accessLog reads it. */
  accessLog?: boolean;
  /**
   * The plain X-Accel-Redirect mode: the /downloads/, /static/, /signed/downloads/ and /internal/check locations removed, so
   * that every request for a file goes to the service, which answers it with X-Accel-Redirect (README, "Behind nginx").
   */
  plainAccelRedirect?: boolean;
  /** For bench:serve's "nginx alone": the internal locations, with all their settings, opened to clients. */
  openInternalLocations?: boolean;
  /** DOWNLOAD_LINK_SECRET, as the operator writes it into media-delivery-link-secret.conf; undefined: left empty. */
  downloadLinkSecret?: string;
}

export interface RunningNginx {
  url: string;
  pid: number;
  /** The access log's lines so far (nginx writes each when it has answered). */
  accessLog(): string[];
  stop(): Promise<void>;
}

export function nginxInstalled(): boolean {
  return spawnSync('nginx', ['-v'], { stdio: 'ignore' }).status === 0;
}

/** deploy/media-delivery-link-secret.conf, the file an operator puts the secret in, next to the rendered nginx.conf. */
const LINK_SECRET_FILE = 'media-delivery-link-secret.conf';

/** deploy/media-delivery-link-secret.conf with `secret` between its quotes, as the operator writes it. */
export function renderLinkSecretConf(template: string, secret = ''): string {
  const empty = 'set $download_link_secret "";';
  if (template.split(empty).length !== 2)
    throw new Error(`deploy/media-delivery-link-secret.conf should contain "${empty}" once`);
  return template.replace(empty, () => `set $download_link_secret "${secret}";`);
}

/** deploy/nginx.conf for a process in `dir`, listening on 127.0.0.1:`port`. */
export function renderNginxConf(template: string, setup: NginxSetup, dir: string, port: number): string {
  // [text, its replacement, how often the file has it]
  const replacements: [string, string, number?][] = [
    // In the foreground, as the test's child; as root, workers that can read the test's temporary folders.
    ['worker_processes auto;', `worker_processes 1;\ndaemon off;${process.getuid?.() === 0 ? '\nuser root;' : ''}`],
    ['pid /run/nginx.pid;', `pid ${dir}/nginx.pid;`],
    ['error_log /var/log/nginx/error.log;', `error_log ${dir}/error.log;`],
    [
      'access_log /var/log/nginx/access.log media_delivery;',
      `access_log ${setup.accessLog ? `${dir}/access.log media_delivery` : 'off'};\n${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `${kind}_temp_path ${dir}/${kind};`).join('\n')}`,
    ],
    ['server 127.0.0.1:3000;', `server 127.0.0.1:${setup.upstreamPort ?? 9};`],
    ['listen 80;', `listen 127.0.0.1:${port};`],
    ['/var/cache/nginx/media-delivery-checks', `${dir}/checks`],
    ['/var/lib/media-delivery/data/downloads/', `${setup.downloadsDir}/`, 3],
    ['include /etc/nginx/media-delivery-link-secret.conf;', `include ${dir}/${LINK_SECRET_FILE};`],
    ['include /etc/nginx/media-delivery-types.conf;', `include ${NGINX_TYPES_CONF};`],
    ['/var/lib/media-delivery/data/static/', `${setup.staticDir}/`, 2],
  ];
  let conf = template;
  for (const [from, to, times = 1] of replacements) {
    const parts = conf.split(from);
    if (parts.length !== times + 1)
      throw new Error(`deploy/nginx.conf should contain "${from}" ${times} times, has it ${parts.length - 1} times`);
    conf = parts.join(to);
  }
  if (setup.plainAccelRedirect) conf = withoutFileLocations(conf);
  return setup.openInternalLocations ? conf.replaceAll('internal;', '') : conf;
}

/**
 * The configuration without its `location /downloads/ {…}`, `location /static/ {…}`,
 * `location /signed/downloads/ {…}` and `location = /internal/check {…}` blocks.
 */
function withoutFileLocations(conf: string): string {
  const kept: string[] = [];
  let removed = 0;
  let skipping = false;
  for (const line of conf.split('\n')) {
    if (/^ {8}location (\/downloads\/|\/static\/|= \/internal\/check|\/signed\/downloads\/) \{$/.test(line)) {
      skipping = true;
      removed++;
    } else if (skipping && line === '        }') skipping = false;
    else if (!skipping) kept.push(line);
  }
  if (removed !== 4) throw new Error(`deploy/nginx.conf should have 3 file locations and a check, has ${removed}`);
  return kept.join('\n');
}

/** Starts nginx on a free loopback port with deploy/nginx.conf rendered for `setup`. */
export async function startNginx(setup: NginxSetup): Promise<RunningNginx> {
  // Another process can bind the chosen port before nginx does: then it starts on another.
  for (let attempt = 1; ; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'nginx-'));
    const port = await freePort();
    const conf = join(dir, 'nginx.conf');
    writeFileSync(conf, renderNginxConf(readFileSync(NGINX_CONF, 'utf8'), setup, dir, port));
    const secretTemplate = readFileSync(resolve('deploy/media-delivery-link-secret.conf'), 'utf8');
    writeFileSync(join(dir, LINK_SECRET_FILE), renderLinkSecretConf(secretTemplate, setup.downloadLinkSecret));
    const child = spawn('nginx', ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')], { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitUntilListening(url, child, dir);
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      if (attempt < 3 && /Address already in use/.test((error as Error).message)) continue;
      throw error;
    }
    return {
      url,
      pid: child.pid!,
      accessLog: () => {
        const log = join(dir, 'access.log');
        return existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
      },
      stop: async () => {
        child.kill('SIGQUIT');
        await exited;
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}

async function waitUntilListening(url: string, child: ChildProcess, dir: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (child.exitCode !== null) {
      throw new Error(`nginx exited with ${child.exitCode}: ${readFileSync(join(dir, 'error.log'), 'utf8')}`);
    }
    // Only nginx's own answer counts: another process may hold the port, until nginx gives up binding it.
    const server = await fetch(`${url}/internal/`, { method: 'HEAD', signal: AbortSignal.timeout(1000) }).then(
      (response) => response.headers.get('server') ?? '',
      () => '',
    );
    if (server.startsWith('nginx')) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('nginx did not start listening within 5 s');
}
