import { createServer, request as httpRequest, IncomingMessage, Server } from 'node:http';
import { connect, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { isAllowedHost } from '../storage/source-locator.js';

/**
 * A forward proxy on loopback that every ffmpeg and ffprobe process must use for http(s). A
 * manifest on an allowed host can name playlists, segments or keys on any host, and ffmpeg would
 * follow them; through this proxy, only hosts in ALLOWED_SOURCE_HOSTS are ever reached, whatever
 * a manifest or a redirect says. https goes through CONNECT, so the check is on the host name.
 */
@Injectable()
export class SourceProxy implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SourceProxy.name);
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  /** `http://127.0.0.1:<port>` once listening. */
  url: string | undefined;

  constructor(private readonly config: AppConfig) {}

  async onModuleInit(): Promise<void> {
    if (this.config.workerEnabled) await this.start();
  }

  async start(): Promise<void> {
    const server = createServer((request, response) => {
      const target = parseTarget(request.url);
      if (!target || target.protocol !== 'http:' || !this.allowed(target)) {
        response.writeHead(403, { 'content-type': 'text/plain' }).end('Host not in ALLOWED_SOURCE_HOSTS');
        return;
      }
      const upstream = httpRequest(
        { host: target.hostname, port: target.port || 80, path: `${target.pathname}${target.search}`, method: request.method, headers: request.headers },
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
    server.on('connect', (request: IncomingMessage, client: Socket, head: Buffer) => this.tunnel(request, client, head));
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async onModuleDestroy(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The environment ffmpeg reads its proxy from (it has no per-process option that HLS and DASH both honour). */
  environment(): NodeJS.ProcessEnv {
    const env = { ...process.env };
    for (const name of ['no_proxy', 'NO_PROXY', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY']) delete env[name];
    // Never direct: without a listening proxy, point at a closed port so that nothing is fetched.
    env.http_proxy = this.url ?? 'http://127.0.0.1:9';
    return env;
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
    this.logger.warn(`Refused to fetch ${target.href}: its host is not in ALLOWED_SOURCE_HOSTS`);
    return false;
  }
}

function parseTarget(raw: string | undefined): URL | undefined {
  try {
    return raw ? new URL(raw) : undefined;
  } catch {
    return undefined;
  }
}
