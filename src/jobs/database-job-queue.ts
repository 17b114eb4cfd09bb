import {
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  BeforeApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { JobLedger } from './job-ledger.js';
import {
  checkEveryJobRegistered,
  checkNotYetRegistered,
  EnqueueOptions,
  JOB_CANCELLED,
  JobHandler,
  JobHandlerOptions,
  JobQueue,
  WORKER_SHUTDOWN,
} from './job-queue.js';
import type { Job } from './job.entity.js';
import type { JobName } from './job-types.js';

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
  private readonly ledger: JobLedger;
  private readonly registrations = new Map<JobName, Registration>();
  private readonly runningJobs = new Map<
    string,
    { key: string; name: JobName; controller: AbortController; done: Promise<void> }
  >();
  private pollTimer: NodeJS.Timeout | undefined;
  private inFlightPoll: Promise<void> | undefined;
  private pollAgain = false;
  private stopped = true;

  constructor(
    @InjectDataSource() dataSource: DataSource,
    private readonly config: AppConfig,
  ) {
    super();
    this.ledger = new JobLedger(dataSource, config.jobLeaseMs);
  }

  registerHandler<N extends JobName>(name: N, handler: JobHandler<N>, options: JobHandlerOptions): void {
    checkNotYetRegistered(this.registrations, name);
    this.registrations.set(name, { handler: handler as JobHandler<JobName>, options, running: 0 });
  }

  async enqueue<N extends JobName>(
    name: N,
    key: string,
    data: Parameters<JobHandler<N>>[0],
    options: EnqueueOptions = {},
  ): Promise<void> {
    await this.ledger.insert(options.manager, name, key, data, options.delayMs);
    // Inside a transaction the row is not visible yet; the next poll finds it after the commit.
    if (!options.manager) this.wake();
  }

  async cancel(name: JobName, keys: string[], manager?: EntityManager): Promise<void> {
    if (keys.length === 0) return;
    await this.ledger.remove(name, keys, manager);
    const cancelled = new Set(keys);
    for (const running of this.runningJobs.values()) {
      if (running.name === name && cancelled.has(running.key)) running.controller.abort(JOB_CANCELLED);
    }
  }

  countPending(name: JobName): Promise<number> {
    return this.ledger.countPending(name);
  }

  onApplicationBootstrap(): void {
    checkEveryJobRegistered(this.registrations);
    if (!this.config.workerEnabled) return;
    this.stopped = false;
    this.schedulePoll(0);
  }

  /** Stops claiming, aborts running handlers and hands their jobs back to the queue untouched. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.pollTimer);
    // A claim still under way would otherwise start its job after this, on a closing connection.
    await this.inFlightPoll;
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
    this.pollTimer = setTimeout(() => this.poll(), delayMs);
  }

  private poll(): void {
    if (this.inFlightPoll) {
      this.pollAgain = true;
      return;
    }
    this.inFlightPoll = this.claimDueJobs().finally(() => {
      this.inFlightPoll = undefined;
      if (!this.stopped) this.schedulePoll(this.pollAgain ? 0 : this.config.jobPollIntervalMs);
      this.pollAgain = false;
    });
  }

  private async claimDueJobs(): Promise<void> {
    try {
      for (const [name, registration] of this.registrations) {
        while (!this.stopped && registration.running < registration.options.concurrency) {
          const job = await this.ledger.claimNextDue(name);
          if (!job) break;
          this.start(job, registration);
        }
      }
    } catch (error) {
      this.logger.error(`Polling for jobs failed: ${(error as Error).message}`);
    }
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
      await this.ledger.complete(job);
    } catch (error) {
      await this.ledger.settleFailure(job, registration.options, controller.signal, error);
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** Extends the lease; a job whose row is gone (cancelled by any process) is aborted. */
  private async renewLease(job: Job, controller: AbortController): Promise<void> {
    try {
      if (!(await this.ledger.renew(job))) controller.abort(JOB_CANCELLED);
    } catch (error) {
      this.logger.warn(`Renewing the lease of job ${job.id} failed: ${(error as Error).message}`);
    }
  }
}
