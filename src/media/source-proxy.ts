import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { createServer, request as httpRequest, IncomingMessage, Server, ServerResponse } from 'node:http';
import { connect, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { relative, sep } from 'node:path';
import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { isAllowedHost } from '../security/allowed-hosts.js';
import { writeFileRange } from '../storage/file-sender.js';
import { insideRoot, realPathInsideRoot } from '../security/path-containment.js';

const REFUSALS_KEPT = 50;

/** What one download's ffmpeg and ffprobe processes reach the proxy through, and what it refused them. */
class ProxyListener {
  private readonly logger = new Logger(SourceProxy.name);
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly refusals: { at: number; what: string }[] = [];
  /**
   * Unguessable, so that only the URLs this listener hands to ffmpeg (and what they reference
   * relatively) reach MEDIA_ROOT; a remote manifest naming the proxy's own address gets a 404.
   */
  private readonly mediaRootPrefix = `/media-root-${randomBytes(16).toString('hex')}/`;
  /** `http://127.0.0.1:<port>` once listening. */
  url: string | undefined;

  constructor(private readonly config: AppConfig) {}

  async start(): Promise<void> {
    const server = createServer((request, response) => {
      const target = parseTarget(request.url);
      if (target && target.host === this.ownHost) {
        void this.serveMediaFile(target.pathname, request, response);
        return;
      }
      if (!target || target.protocol !== 'http:' || !this.allowed(target)) {
        response.writeHead(403, { 'content-type': 'text/plain' }).end('Host not in ALLOWED_SOURCE_HOSTS');
        return;
      }
      const upstream = httpRequest(
        {
          host: target.hostname,
          port: target.port || 80,
          path: `${target.pathname}${target.search}`,
          method: request.method,
          headers: request.headers,
        },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
      );
      upstream.on('error', (error) => {
        if (!response.headersSent) response.writeHead(502, { 'content-type': 'text/plain' });
        response.end(`Upstream error: ${error.message}`);
      });
      request.pipe(upstream);
    });
    server.on('connect', (request: IncomingMessage, client: Socket, head: Buffer) =>
      this.tunnel(request, client, head),
    );
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  mediaRootUrl(absolutePath: string): string {
    if (!this.url) throw new Error('The source proxy is not running (WORKER_ENABLED=false?)');
    const path = relative(this.config.mediaRoot, absolutePath).split(sep).map(encodeURIComponent).join('/');
    return `${this.url}${this.mediaRootPrefix}${path}`;
  }

  refusedSince(since: number): string[] {
    return [...new Set(this.refusals.filter((refusal) => refusal.at >= since).map((refusal) => refusal.what))];
  }

  readable(text: string): string {
    return this.url ? text.split(`${this.url}${this.mediaRootPrefix}`).join('') : text;
  }

  environment(): NodeJS.ProcessEnv {
    const env = { ...process.env };
    for (const name of ['no_proxy', 'NO_PROXY', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY']) delete env[name];
    // Never direct: without a listening proxy, point at a closed port so that nothing is fetched.
    env.http_proxy = this.url ?? 'http://127.0.0.1:9';
    return env;
  }

  private refuse(what: string): void {
    this.logger.warn(`Refused ${what}`);
    this.refusals.push({ at: Date.now(), what });
    if (this.refusals.length > REFUSALS_KEPT) this.refusals.shift();
  }

  private get ownHost(): string | undefined {
    return this.url && new URL(this.url).host;
  }

  /** One file under MEDIA_ROOT, with single byte ranges (HLS byte-range playlists and seeking need them). */
  private async serveMediaFile(pathname: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      if (!pathname.startsWith(this.mediaRootPrefix)) throw new Error('outside the media root');
      const wanted = insideRoot(decodeURIComponent(pathname.slice(this.mediaRootPrefix.length)), this.config.mediaRoot);
      const path = await realPathInsideRoot(wanted, this.config.mediaRoot);
      const { size } = await stat(path);
      const range = /^bytes=(\d*)-(\d*)$/.exec(request.headers.range ?? '');
      let [start, end] = [0, size - 1];
      if (range && (range[1] || range[2])) {
        [start, end] = range[1]
          ? [Number(range[1]), range[2] ? Math.min(Number(range[2]), size - 1) : size - 1]
          : [Math.max(0, size - Number(range[2])), size - 1];
        if (start > end || start >= size) {
          response.writeHead(416, { 'content-range': `bytes */${size}` }).end();
          return;
        }
        response.writeHead(206, {
          'content-range': `bytes ${start}-${end}/${size}`,
          'content-length': end - start + 1,
          'accept-ranges': 'bytes',
        });
      } else {
        response.writeHead(200, { 'content-length': size, 'accept-ranges': 'bytes' });
      }
      if (request.method === 'HEAD' || size === 0) response.end();
      // A read that fails part-way cuts the answer short, which ffmpeg reports as a read error.
      else await writeFileRange(path, start, end, response).catch(() => response.destroy());
    } catch {
      this.refuse(`${safeDecode(pathname.replace(this.mediaRootPrefix, ''))}: not a file under MEDIA_ROOT`);
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not a file under MEDIA_ROOT');
    }
  }

  private tunnel(request: IncomingMessage, client: Socket, head: Buffer): void {
    const target = parseTarget(`https://${request.url ?? ''}`);
    client.on('error', () => undefined);
    if (!target || !this.allowed(target)) {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const upstream = connect(Number(target.port || 443), target.hostname, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n'));
    client.on('close', () => upstream.destroy());
  }

  private allowed(target: URL): boolean {
    if (isAllowedHost(target, this.config.allowedSourceHosts)) return true;
    this.refuse(`${target.protocol === 'https:' ? target.host : target.href}: host not in ALLOWED_SOURCE_HOSTS`);
    return false;
  }
}

/**
 * A forward proxy on loopback that every ffmpeg and ffprobe process must use for http(s). A
 * manifest on an allowed host can name playlists, segments or keys on any host, and ffmpeg would
 * follow them; through this proxy, only hosts in ALLOWED_SOURCE_HOSTS are ever reached, whatever
 * a manifest or a redirect says. https goes through CONNECT, so the check is on the host name.
 *
 * It also serves MEDIA_ROOT to ffmpeg over http for local manifests (HLS, DASH): read that way,
 * with the `file` protocol refused, whatever a manifest references resolves to a URL under the
 * media root, and a path that leaves it (`../`, an absolute path, a symbolic link) is a 404.
 *
 * Each download runs in a session of its own (`withSession`) with its own listener, so what was
 * refused to one download never shows up in another's failure reason when several run at once.
 */
@Injectable()
export class SourceProxy implements OnModuleInit, OnModuleDestroy {
  /** For the commands run outside any download (the version check at start). */
  private readonly shared: ProxyListener;
  private readonly session = new AsyncLocalStorage<ProxyListener>();

  constructor(private readonly config: AppConfig) {
    this.shared = new ProxyListener(config);
  }

  async onModuleInit(): Promise<void> {
    if (this.config.workerEnabled) await this.start();
  }

  /** The shared listener's `http://127.0.0.1:<port>`, once listening; a download's session has its own. */
  get url(): string | undefined {
    return this.shared.url;
  }

  async start(): Promise<void> {
    await this.shared.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.shared.stop();
  }

  /** Runs `work` with a listener of its own: the media inputs made and the commands run inside it use it. */
  async withSession<T>(work: () => Promise<T>): Promise<T> {
    const listener = new ProxyListener(this.config);
    await listener.start();
    try {
      return await this.session.run(listener, work);
    } finally {
      await listener.stop();
    }
  }

  /** The URL ffmpeg reads a file under MEDIA_ROOT from, so that what the file references stays under MEDIA_ROOT too. */
  mediaRootUrl(absolutePath: string): string {
    return this.current.mediaRootUrl(absolutePath);
  }

  /** What this session had refused since `since` (a Date.now() value), so a failure can say why instead of ffmpeg's bare "403". */
  refusedSince(since: number): string[] {
    return this.current.refusedSince(since);
  }

  /** ffmpeg's messages name media-root files by their proxy URL; people know them by their path under MEDIA_ROOT. */
  readable(text: string): string {
    return this.current.readable(text);
  }

  /** The environment ffmpeg reads its proxy from (it has no per-process option that HLS and DASH both honour). */
  environment(): NodeJS.ProcessEnv {
    return this.current.environment();
  }

  private get current(): ProxyListener {
    return this.session.getStore() ?? this.shared;
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function parseTarget(raw: string | undefined): URL | undefined {
  try {
    return raw ? new URL(raw) : undefined;
  } catch {
    return undefined;
  }
}
