import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface SourceServer {
  server: Server;
  /** 127.0.0.1:<port>, as ALLOWED_SOURCE_HOSTS names it. */
  host: string;
  /** The most /slow requests that were ever being answered at once. */
  mostSlowAtOnce(): number;
  close(): Promise<void>;
}

/**
 * Serves `root` over HTTP as an Opencast working file repository would; /broken answers 500,
 * /endless sends bytes until the client goes away, /stalled sends headers and then nothing,
 * /redirect* redirect to a host, a port and a scheme that are not allowed, /slow/<file> serves
 * <file> after 200 ms, counting how many such answers overlap.
 */
export async function startSourceServer(root: string): Promise<SourceServer> {
  let slowNow = 0;
  let slowMost = 0;
  const server = createServer((req, res) => {
    if (req.url!.startsWith('/slow/')) {
      slowMost = Math.max(slowMost, ++slowNow);
      res.on('close', () => slowNow--);
      setTimeout(() => serveFile(join(root, req.url!.slice('/slow'.length)), res), 200);
      return;
    }
    if (req.url!.startsWith('/endless')) {
      res.writeHead(200);
      const chunk = Buffer.alloc(64 * 1024, 0x23);
      const send = () => {
        while (!res.destroyed && res.write(chunk));
      };
      res.on('drain', send);
      send();
      return;
    }
    if (req.url!.startsWith('/stalled')) {
      res.writeHead(200, { 'Content-Length': '1000' });
      res.flushHeaders();
      return;
    }
    if (req.url!.startsWith('/redirect-port')) {
      res.writeHead(302, { Location: `http://127.0.0.1:1/remote.mp4` }).end();
      return;
    }
    if (req.url!.startsWith('/redirect-file')) {
      res.writeHead(302, { Location: 'file:///etc/passwd' }).end();
      return;
    }
    if (req.url!.startsWith('/redirect')) {
      res.writeHead(302, { Location: 'http://evil.example.com/video.mp4' }).end();
      return;
    }
    if (req.url!.startsWith('/broken')) {
      res.writeHead(500).end();
      return;
    }
    serveFile(join(root, decodeURIComponent(new URL(req.url!, 'http://x').pathname)), res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    mostSlowAtOnce: () => slowMost,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function serveFile(path: string, res: ServerResponse): void {
  if (!existsSync(path)) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'Content-Length': statSync(path).size });
  createReadStream(path).pipe(res);
}
