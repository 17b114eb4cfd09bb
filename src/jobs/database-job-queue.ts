import { randomUUID } from 'node:crypto';
import {
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  BeforeApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, FindOptionsWhere, In, LessThan, LessThanOrEqual } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { insertRow } from '../database/insert-row.js';
import {
  EnqueueOptions,
  JOB_CANCELLED,
  JobHandler,
  JobHandlerOptions,
  JobQueue,
  WORKER_SHUTDOWN,
} from './job-queue.js';
import { Job } from './job.entity.js';
import { JOB_NAMES, JobName } from './job-types.js';

interface Registration {
  handler: JobHandler<JobName>;
  options: JobHandlerOptions;
  running: number;
}

/**
 * The job queue on the service's own database. Workers claim a due job by a conditional UPDATE
 * (safe with several processes on one database), hold it with a lease they renew while the
 * handler runs, and a job whose worker died becomes claimable again when its lease runs out.
 */
@Injectable()
export class DatabaseJobQueue
  extends JobQueue
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger(JobQueue.name);
  private readonly workerId = `${process.pid}-${randomUUID().slice(0, 8)}`;
  private readonly registrations = new Map<JobName, Registration>();
  private readonly runningJobs = new Map<
    string,
    { key: string; name: JobName; controller: AbortController; done: Promise<void> }
  >();
  private pollTimer: NodeJS.Timeout | undefined;
  private polling = false;
  private pollAgain = false;
  private stopped = true;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {
    super();
  }

  registerHandler<N extends JobName>(name: N, handler: JobHandler<N>, options: JobHandlerOptions): void {
    if (this.registrations.has(name)) throw new Error(`Job "${name}" has two handlers`);
    this.registrations.set(name, { handler: handler as JobHandler<JobName>, options, running: 0 });
  }

  async enqueue<N extends JobName>(
    name: N,
    key: string,
    data: Parameters<JobHandler<N>>[0],
    options: EnqueueOptions = {},
  ): Promise<void> {
    const now = Date.now();
    const job: Job = {
      id: randomUUID(),
      name,
      key,
      data: JSON.stringify(data),
      status: 'queued',
      attempts: 0,
      runAt: new Date(now + (options.delayMs ?? 0)),
      lockedBy: null,
      lockedUntil: null,
      lastError: null,
      createdAt: new Date(now),
    };
    await insertRow(options.manager ?? this.dataSource.manager, Job, job);
    // Inside a transaction the row is not visible yet; the next poll finds it after the commit.
    if (!options.manager) this.wake();
  }

  async cancel(name: JobName, keys: string[], manager?: EntityManager): Promise<void> {
    if (keys.length === 0) return;
    await (manager ?? this.dataSource.manager).delete(Job, { name, key: In(keys) });
    const cancelled = new Set(keys);
    for (const running of this.runningJobs.values()) {
      if (running.name === name && cancelled.has(running.key)) running.controller.abort(JOB_CANCELLED);
    }
  }

  async countPending(name: JobName): Promise<number> {
    return this.dataSource.manager.count(Job, {
      where: [
        { name, status: 'queued' },
        { name, status: 'active' },
      ],
    });
  }

  onApplicationBootstrap(): void {
    const missing = JOB_NAMES.filter((name) => !this.registrations.has(name));
    if (missing.length > 0) throw new Error(`No handler registered for job(s): ${missing.join(', ')}`);
    if (!this.config.workerEnabled) return;
    this.stopped = false;
    this.schedulePoll(0);
  }

  /** Stops claiming, aborts running handlers and hands their jobs back to the queue untouched. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.pollTimer);
    for (const running of this.runningJobs.values()) running.controller.abort(WORKER_SHUTDOWN);
    await Promise.allSettled([...this.runningJobs.values()].map((running) => running.done));
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.pollTimer);
  }

  private wake(): void {
    if (!this.stopped) this.schedulePoll(0);
  }

  private schedulePoll(delayMs: number): void {
    clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => void this.poll(), delayMs);
  }

  private async poll(): Promise<void> {
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    this.polling = true;
    try {
      for (const [name, registration] of this.registrations) {
        while (!this.stopped && registration.running < registration.options.concurrency) {
          const job = await this.claimNext(name);
          if (!job) break;
          this.start(job, registration);
        }
      }
    } catch (error) {
      this.logger.error(`Polling for jobs failed: ${(error as Error).message}`);
    } finally {
      this.polling = false;
      if (!this.stopped) this.schedulePoll(this.pollAgain ? 0 : this.config.jobPollIntervalMs);
      this.pollAgain = false;
    }
  }

  private async claimNext(name: JobName): Promise<Job | null> {
    const manager = this.dataSource.manager;
    for (let tries = 0; tries < 5; tries++) {
      const now = new Date();
      const candidate = await manager.findOne(Job, {
        select: { id: true },
        where: dueJobs(name, now),
        order: { runAt: 'ASC' },
      });
      if (!candidate) return null;
      const claimed = await manager.update(Job, dueJobs(name, now, candidate.id), {
        status: 'active',
        lockedBy: this.workerId,
        lockedUntil: new Date(now.getTime() + this.config.jobLeaseMs),
        attempts: () => 'attempts + 1',
      });
      // Another worker took it between the SELECT and the UPDATE: look again.
      if (claimed.affected === 1) return manager.findOneByOrFail(Job, { id: candidate.id });
    }
    return null;
  }

  private start(job: Job, registration: Registration): void {
    const controller = new AbortController();
    registration.running++;
    const done = this.run(job, registration, controller).finally(() => {
      registration.running--;
      this.runningJobs.delete(job.id);
      this.wake();
    });
    this.runningJobs.set(job.id, { key: job.key, name: job.name as JobName, controller, done });
  }

  private async run(job: Job, registration: Registration, controller: AbortController): Promise<void> {
    const heartbeat = setInterval(
      () => void this.renewLease(job, controller),
      Math.max(100, this.config.jobLeaseMs / 3),
    );
    try {
      await registration.handler(JSON.parse(job.data), {
        jobId: job.id,
        signal: controller.signal,
        attempt: job.attempts,
      });
      if (controller.signal.aborted) throw controller.signal.reason;
      await this.dataSource.manager.delete(Job, { id: job.id, lockedBy: this.workerId });
    } catch (error) {
      await this.settleFailure(job, registration.options, controller.signal, error);
    } finally {
      clearInterval(heartbeat);
    }
  }

  private async settleFailure(
    job: Job,
    options: JobHandlerOptions,
    signal: AbortSignal,
    error: unknown,
  ): Promise<void> {
    const mine = { id: job.id, lockedBy: this.workerId };
    if (signal.reason === JOB_CANCELLED) return;
    if (signal.reason === WORKER_SHUTDOWN) {
      await this.dataSource.manager.update(Job, mine, {
        status: 'queued',
        attempts: job.attempts - 1,
        lockedBy: null,
        lockedUntil: null,
      });
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    if (job.attempts < options.maxAttempts) {
      const delayMs = options.backoffMs * 2 ** (job.attempts - 1);
      this.logger.warn(
        `Job ${job.name} ${job.key} failed (attempt ${job.attempts}), retrying in ${delayMs} ms: ${message}`,
      );
      await this.dataSource.manager.update(Job, mine, {
        status: 'queued',
        runAt: new Date(Date.now() + delayMs),
        lockedBy: null,
        lockedUntil: null,
        lastError: message,
      });
    } else {
      this.logger.error(`Job ${job.name} ${job.key} failed after ${job.attempts} attempt(s): ${message}`);
      await this.dataSource.manager.update(Job, mine, {
        status: 'failed',
        // The retention period counts from here.
        runAt: new Date(),
        lockedBy: null,
        lockedUntil: null,
        lastError: message,
      });
    }
  }

  /** Extends the lease; a job whose row is gone (cancelled by any process) is aborted. */
  private async renewLease(job: Job, controller: AbortController): Promise<void> {
    try {
      const result = await this.dataSource.manager.update(
        Job,
        { id: job.id, lockedBy: this.workerId },
        { lockedUntil: new Date(Date.now() + this.config.jobLeaseMs) },
      );
      if (result.affected === 0) controller.abort(JOB_CANCELLED);
    } catch (error) {
      this.logger.warn(`Renewing the lease of job ${job.id} failed: ${(error as Error).message}`);
    }
  }
}

/** Jobs of `name` ready to run: queued and due, or claimed by a worker whose lease ran out. */
function dueJobs(name: JobName, now: Date, id?: string): FindOptionsWhere<Job>[] {
  return [
    { ...(id && { id }), name, status: 'queued', runAt: LessThanOrEqual(now) },
    { ...(id && { id }), name, status: 'active', lockedUntil: LessThan(now) },
  ];
}
