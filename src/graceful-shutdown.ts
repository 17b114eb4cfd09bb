import type { Server } from 'node:http';
import { Logger } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';

/** Sweeps keep-alive connections that went idle after their last response, so the server can close. */
const IDLE_SWEEP_MS = 100;
/** After SHUTDOWN_TIMEOUT_MS, closing the database and handing jobs back should take seconds at most. */
const HARD_STOP_GRACE_MS = 10_000;

/**
 * On SIGTERM or SIGINT: stop accepting connections, let requests in flight finish (connections
 * still open after `timeoutMs` are closed), then close the application (running jobs are handed
 * back to the queue, the database closed) and exit 0. A second signal exits at once, with 1.
 */
export function closeGracefullyOnSignals(app: INestApplication, timeoutMs: number): void {
  let closing = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      // A second Ctrl-C (or SIGTERM) means now.
      if (closing) process.exit(1);
      closing = true;
      void closeGracefully(app, timeoutMs, signal);
    });
  }
}

async function closeGracefully(app: INestApplication, timeoutMs: number, signal: string): Promise<void> {
  const logger = new Logger('Shutdown');
  logger.log(`${signal}: no new connections; waiting up to ${timeoutMs} ms for the requests in flight`);
  setTimeout(() => {
    logger.error(`Still not closed ${HARD_STOP_GRACE_MS} ms after SHUTDOWN_TIMEOUT_MS; exiting`);
    process.exit(1);
  }, timeoutMs + HARD_STOP_GRACE_MS).unref();
  try {
    await drainRequests(app.getHttpServer() as Server, timeoutMs, logger);
    // Nest's own server close now finds it closed; this hands running jobs back and closes the database.
    await app.close();
  } catch (error) {
    logger.error(`Shutdown failed: ${(error as Error).stack}`);
    process.exit(1);
  }
  logger.log('Closed');
  process.exit(0);
}

/** Resolves when every connection has closed: at once when idle, after its response when busy, by force after `timeoutMs`. */
async function drainRequests(server: Server, timeoutMs: number, logger: Logger): Promise<void> {
  const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
  const force = setTimeout(() => {
    logger.warn(`Requests still running after SHUTDOWN_TIMEOUT_MS=${timeoutMs}; closing their connections`);
    server.closeAllConnections();
  }, timeoutMs);
  try {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  } finally {
    clearInterval(sweep);
    clearTimeout(force);
  }
}
