import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pinoHttp, type Options } from 'pino-http';
import type { DestinationStream } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/app-config.js';
import { loggerParams, maskingDestination, requestIdOf } from './logger-params.js';

/** A request answered by pino-http with the service's parameters; resolves with the lines it wrote. */
async function logRequest(env: Record<string, string>, headers: Record<string, string>): Promise<string[]> {
  const lines: string[] = [];
  const { pinoHttp: params } = await loggerParams(
    loadConfig(env),
    maskingDestination((line) => lines.push(line)),
  );
  const [options, stream] = params as [Options, DestinationStream];
  const middleware = pinoHttp(options, stream);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    middleware(req, res);
    req.log.warn('fetching smtp://mailer:s3cr3t@mail.example.com:587 failed');
    res.statusCode = 503;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/voddownload/1?x=y`, { headers });
  return lines;
}
const servers: ReturnType<typeof createServer>[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

describe(loggerParams.name, () => {
  it('writes a JSON line per request with its id, and masks a URL password logged while answering', async () => {
    const lines = await logRequest({}, { Authorization: 'Bearer k3y', 'X-API-Key': 'k3y', 'X-Request-Id': 'r-1' });
    const [warning, completed] = lines.map((line) => JSON.parse(line));
    expect(warning).toMatchObject({ level: 40, requestId: 'r-1' });
    expect(warning.msg).toBe('fetching smtp://mailer:[Redacted]@mail.example.com:587 failed');
    expect(completed).toMatchObject({
      level: 50,
      requestId: 'r-1',
      req: { method: 'GET', url: '/voddownload/1?x=y' },
      res: { statusCode: 503 },
      route: 'unmatched',
      responseTime: expect.any(Number),
    });
    expect(lines.join('')).not.toContain('k3y');
  });

  it('LOG_FORMAT=pretty writes text for a terminal; LOG_LEVEL=warn drops the request lines', async () => {
    const pretty = await logRequest({ LOG_FORMAT: 'pretty' }, {});
    expect(pretty.join('')).toContain('request errored');
    expect(() => JSON.parse(pretty[0])).toThrow();
    const quiet = await logRequest({ LOG_LEVEL: 'warn' }, {});
    expect(quiet.map((line) => JSON.parse(line).level)).toEqual([40, 50]);
  });
});

describe(requestIdOf.name, () => {
  const ask = (given?: string) => {
    const headers = new Map<string, string>();
    const id = requestIdOf(
      { headers: given === undefined ? {} : { 'x-request-id': given } } as IncomingMessage,
      { setHeader: (name: string, value: string) => headers.set(name, value) } as unknown as ServerResponse,
    );
    return { id, echoed: headers.get('X-Request-Id') };
  };

  it("keeps a caller's plausible id and echoes it", () => {
    expect(ask('0a1b-2c.3:trace_4')).toEqual({ id: '0a1b-2c.3:trace_4', echoed: '0a1b-2c.3:trace_4' });
  });

  it('makes a UUID when there is none, or when it could forge log text or is too long', () => {
    for (const given of [undefined, '', 'a b', 'x"}{"level":60', 'a'.repeat(129)]) {
      const { id, echoed } = ask(given);
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(echoed).toBe(id);
    }
  });
});
