import { randomUUID } from 'node:crypto';
import { writeSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import type { Request } from 'express';
import type { Params } from 'nestjs-pino';
import { stdSerializers, stdTimeFunctions, type DestinationStream } from 'pino';
import type { Options } from 'pino-http';
import type { AppConfig } from '../config/app-config.js';
import { maskUrlPasswords, REDACTED_LOG_PATHS } from './log-redaction.js';

export const REQUEST_ID_HEADER = 'X-Request-Id';
/** A caller's request id is kept when it is a plausible id, so it cannot smuggle text into the log. */
const ACCEPTABLE_REQUEST_ID = /^[\w.:-]{1,128}$/;

const PROBE_PATHS = /^\/(health|metrics)(\/|\?|$)/;

/** The request id: the caller's `X-Request-Id` when acceptable, else a new UUID; echoed in the response. */
export function requestIdOf(req: IncomingMessage, res: ServerResponse): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && ACCEPTABLE_REQUEST_ID.test(given) ? given : randomUUID();
  res.setHeader(REQUEST_ID_HEADER, id);
  return id;
}

/**
 * A route path that matches every path (`{/*splat}`): the middleware that logs and times requests
 * is bound to one, and a request no other route answers still carries it.
 */
const EVERY_PATH = /^\{?\/?\*/;

/** The route that answered, as declared (`/voddownload/:id`), so that logs and metrics group by it; unmatched paths share one name. */
export function routeOf(req: IncomingMessage): string {
  const route = (req as Request).route as { path?: unknown } | undefined;
  return typeof route?.path === 'string' && !EVERY_PATH.test(route.path) ? route.path : 'unmatched';
}

/**
 * Where log lines go, with URL passwords masked: the one place every line passes, whoever wrote it.
 * By default stdout, written synchronously so that nothing is lost when the process exits.
 */
export function maskingDestination(write: (line: string) => void = (line) => writeSync(1, line)): Writable {
  // A Writable whose write is synchronous writes at once (pino-pretty pipes into it, pino writes to it).
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      write(maskUrlPasswords(chunk.toString()));
      done();
    },
  });
}

/** nestjs-pino's parameters: JSON lines (or pretty text), one line per request, no credentials. */
export async function loggerParams(
  config: AppConfig,
  destination: DestinationStream = maskingDestination(),
): Promise<Params> {
  const options: Options = {
    level: config.logLevel,
    timestamp: stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_LOG_PATHS, censor: '[Redacted]' },
    genReqId: requestIdOf,
    customAttributeKeys: { reqId: 'requestId' },
    // Lines logged while answering carry the request id, not the whole request again.
    quietReqLogger: true,
    serializers: {
      req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      err: stdSerializers.err,
    },
    customSuccessObject: (req, _res, value: object) => ({ ...value, route: routeOf(req) }),
    customErrorObject: (req, _res, _error, value: object) => ({ ...value, route: routeOf(req) }),
    // Probes and scrapes every few seconds would drown the requests that matter; /metrics still counts them.
    autoLogging: { ignore: (req) => PROBE_PATHS.test(req.url ?? '') },
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
  };
  // Loaded only when asked for: JSON processes start without it.
  const stream =
    config.logFormat === 'pretty'
      ? (await import('pino-pretty')).default({ colorize: true, sync: true, destination })
      : destination;
  return { pinoHttp: [options, stream] };
}
