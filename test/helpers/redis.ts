import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { freePort, listensOn } from './ports.js';

/** The Redis the tests use: TEST_REDIS_URL, or the local one. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Why the Redis at `url` cannot be used, or null when it answers PING. */
export async function redisUnreachableReason(url: string): Promise<string | null> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  let cause: string | undefined; // connect() rejects with "Connection is closed"; the error event says why
  redis.on('error', (error: Error) => (cause ??= error.message));
  try {
    await redis.connect();
    await redis.ping();
    return null;
  } catch (error) {
    return cause ?? ((error as Error).message || String(error));
  } finally {
    redis.disconnect();
  }
}

/**
 * True when the tests' Redis answers. When it does not, says so in one line so the suite can skip;
 * with CI=true a missing Redis fails the run instead.
 */
export async function testRedisReachable(suite: string): Promise<boolean> {
  const reason = await redisUnreachableReason(TEST_REDIS_URL);
  if (reason === null) return true;
  const why = `Redis at ${TEST_REDIS_URL} cannot be reached (${reason}); set TEST_REDIS_URL`;
  if (process.env.CI === 'true') throw new Error(`${suite}: ${why}`);
  console.warn(`Skipping ${suite}: ${why}`);
  return false;
}

/** Settings for an app on Redis, with a key prefix of its own; apps given the same prefix share their queues. */
export function redisEnv(prefix = newRedisPrefix(), url = TEST_REDIS_URL): Record<string, string> {
  return { REDIS_URL: url, REDIS_PREFIX: prefix, JOB_RELAY_INTERVAL_MS: '200' };
}

export function newRedisPrefix(): string {
  return `test-${randomUUID().slice(0, 8)}`;
}

/** Deletes the keys under `prefix`, so the shared Redis keeps nothing of a test. */
export async function deleteRedisKeys(prefix: string, url = TEST_REDIS_URL): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** A redis-server of the test's own, without persistence, that it can stop and start again empty. */
export interface OwnRedisServer {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/**
 * Another process can bind the chosen port before redis-server does (it then exits): the first
 * start tries another port. A restart must keep its port, the apps' REDIS_URL names it.
 */
export async function startOwnRedisServer(): Promise<OwnRedisServer> {
  for (let attempt = 1; ; attempt++) {
    const server = ownRedisServer(await freePort());
    try {
      await server.start();
      return server;
    } catch (error) {
      if (!(error instanceof PortTaken) || attempt === 3) throw error;
    }
  }
}

class PortTaken extends Error {}

function ownRedisServer(port: number): OwnRedisServer {
  let child: ChildProcess | undefined;
  const server: OwnRedisServer = {
    url: `redis://127.0.0.1:${port}`,
    start: async () => {
      const started = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      child = started;
      let output = '';
      started.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const closed = new Promise((resolve) => started.once('close', resolve));
      const redis = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      redis.on('error', () => undefined);
      try {
        for (let tries = 0; ; tries++) {
          if (started.exitCode !== null) {
            await closed;
            if (/address already in use/i.test(output)) throw new PortTaken(`Port ${port} is taken`);
            throw new Error(`redis-server exited with ${started.exitCode}:\n${output}`);
          }
          try {
            // Only our redis-server's answer counts, not that of whatever else listens there.
            if (!listensOn(started.pid!, port)) throw new Error(`redis-server does not listen on ${port} yet`);
            await redis.connect();
            await redis.ping();
            return;
          } catch (error) {
            if (tries > 100) throw error;
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        }
      } finally {
        redis.disconnect();
      }
    },
    stop: async () => {
      const stopping = child;
      if (!stopping || stopping.exitCode !== null) return;
      await new Promise((resolve) => {
        stopping.once('exit', resolve);
        stopping.kill('SIGKILL');
      });
    },
  };
  return server;
}
