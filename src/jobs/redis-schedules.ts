import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { Queue, Worker } from 'bullmq';
import { RedisConnection, settlesWithin, SHUTDOWN_GRACE_MS } from './redis-connection.js';

const SCHEDULES_QUEUE = 'schedules';

/**
 * Cron schedules on BullMQ job schedulers, for deployments with Redis: every process upserts the
 * same scheduler, BullMQ makes one job per tick, and whichever process's worker takes it runs
 * the schedule. Without Redis, ScheduleClaims does this on the database.
 */
@Injectable()
export class RedisSchedules implements BeforeApplicationShutdown {
  private readonly logger = new Logger(RedisSchedules.name);
  private readonly runs = new Map<string, () => Promise<unknown>>();
  private queue: Queue | undefined;
  private worker: Worker | undefined;

  constructor(private readonly redis: RedisConnection) {}

  get enabled(): boolean {
    return this.redis.enabled;
  }

  /** Runs `run` once per tick of `cron` (UTC) across all processes; a null `cron` removes the schedule. */
  async schedule(name: string, cron: string | null, run: () => Promise<unknown>): Promise<void> {
    const queue = this.openQueue();
    if (!cron) {
      await queue.removeJobScheduler(name);
      return;
    }
    this.runs.set(name, run);
    try {
      await queue.upsertJobScheduler(
        name,
        { pattern: cron, tz: 'UTC' },
        { name, opts: { removeOnComplete: true, removeOnFail: true } },
      );
    } catch (error) {
      // Processes starting together upsert the same scheduler; the one that lost made the same tick.
      if (!/job ID already exists/i.test((error as Error).message)) throw error;
    }
    this.worker ??= new Worker(SCHEDULES_QUEUE, (job) => this.runs.get(job.name)?.() ?? Promise.resolve(), {
      ...this.redis.forBullmq(),
    });
    this.worker.on('error', (error) => this.logger.warn(`BullMQ schedules worker: ${error.message}`));
  }

  async beforeApplicationShutdown(): Promise<void> {
    const clients = [this.worker, this.queue].filter((client) => client !== undefined);
    const closed = Promise.allSettled(clients.map((client) => client.close()));
    if (!(await settlesWithin(closed, SHUTDOWN_GRACE_MS))) {
      await Promise.allSettled(clients.map((client) => client.disconnect()));
    }
  }

  private openQueue(): Queue {
    if (!this.queue) {
      this.queue = new Queue(SCHEDULES_QUEUE, this.redis.forBullmq());
      this.queue.on('error', (error) => this.logger.warn(`BullMQ schedules queue: ${error.message}`));
    }
    return this.queue;
  }
}
