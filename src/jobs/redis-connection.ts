import { hidePassword } from '../security/hide-password.js';
import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Redis } from 'ioredis';
import { AppConfig } from '../config/app-config.js';

/** What BullMQ queues and workers are given to open (and close) their own connections. */
export interface BullmqConnection {
  connection: { url: string; maxRetriesPerRequest: null };
  prefix: string;
}

/**
 * The service's Redis (REDIS_URL), when it has one. It is checked at start, so a deployment
 * pointed at a Redis it cannot reach stops with a message instead of queueing work nowhere.
 */
@Injectable()
export class RedisConnection implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RedisConnection.name);
  private readonly opened: Redis[] = [];
  private shared: Redis | undefined;

  constructor(private readonly config: AppConfig) {}

  get enabled(): boolean {
    return this.config.redisUrl !== undefined;
  }

  /** Prefix of this deployment's keys and channels (REDIS_PREFIX). */
  get prefix(): string {
    return this.config.redisPrefix;
  }

  forBullmq(): BullmqConnection {
    return { connection: { url: this.url(), maxRetriesPerRequest: null }, prefix: this.prefix };
  }

  /** The connection for short commands, opened on first use; a command fails fast while Redis is away. */
  client(): Redis {
    this.shared ??= this.open({ maxRetriesPerRequest: 2 });
    return this.shared;
  }

  /** A connection of its own (a subscriber, say), closed at shutdown. */
  open(options: { maxRetriesPerRequest?: number | null } = {}): Redis {
    const redis = new Redis(this.url(), { maxRetriesPerRequest: null, ...options });
    redis.on('error', (error) => this.logger.warn(`Redis (${hidePassword(this.url())}): ${error.message}`));
    this.opened.push(redis);
    return redis;
  }

  async onModuleInit(): Promise<void> {
    if (!this.enabled) return;
    const probe = new Redis(this.url(), {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectTimeout: 5_000,
    });
    let cause: string | undefined; // connect() rejects with "Connection is closed"; the error event says why
    probe.on('error', (error) => (cause ??= error.message));
    try {
      await probe.connect();
      await probe.ping();
    } catch (error) {
      throw new Error(
        `Cannot reach Redis at REDIS_URL=${hidePassword(this.url())}: ${(cause ?? (error as Error).message).replace(/\.$/, '')}. ` +
          'Start Redis or unset REDIS_URL to run on the database queue.',
      );
    } finally {
      probe.disconnect();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    const opened = this.opened.splice(0);
    this.shared = undefined;
    if (!(await settlesWithin(Promise.allSettled(opened.map((redis) => redis.quit())), SHUTDOWN_GRACE_MS))) {
      for (const redis of opened) redis.disconnect();
    }
  }

  private url(): string {
    if (!this.config.redisUrl) throw new Error('REDIS_URL is not set');
    return this.config.redisUrl;
  }
}

/** How long shutdown waits for Redis (closing workers, queues, connections) before it lets go. */
export const SHUTDOWN_GRACE_MS = 5_000;

/** True when `promise` settled within `ms`; false when it is still pending then. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
