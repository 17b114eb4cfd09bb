import { BeforeApplicationShutdown, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DelayedError, Job as BullJob, Queue, Worker } from 'bullmq';
import type { DataSource, EntityManager } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import type { AfterCommit } from './after-commit.js';
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
import { JOB_NAMES, JobName } from './job-types.js';
import { RedisConnection, settlesWithin, SHUTDOWN_GRACE_MS } from './redis-connection.js';

interface Registration {
  handler: JobHandler<JobName>;
  options: JobHandlerOptions;
  worker?: Worker;
}

/** Rows relayed per sweep; more wait for the next one. */
const SWEEP_BATCH = 1000;

/**
 * The job queue on BullMQ: one queue per job name, a worker per name with that name's
 * concurrency. The database `job` row stays the record of the work (JobLedger): written in the
 * caller's transaction, relayed to BullMQ after the commit with the row's id as BullMQ's job id
 * (so a relay is idempotent), and relayed again by a periodic sweep, which covers a crash between
 * commit and relay and a Redis that lost its data. Before a handler runs, the worker claims the
 * row with a lease, so a re-delivered job (stalled-job recovery, a sweep) never runs twice at
 * once. Cancellations reach running handlers through Redis pub/sub, the lease renewal being the
 * fallback. Retries and their backoff are decided on the row and carried out by delaying the
 * BullMQ job.
 */
export class BullmqJobQueue extends JobQueue implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(JobQueue.name);
  private readonly ledger: JobLedger;
  private readonly registrations = new Map<JobName, Registration>();
  private readonly queues = new Map<JobName, Queue>();
  private readonly running = new Map<string, { job: Job; controller: AbortController }>();
  /** When each job (name and key) was last cancelled, for a cancellation that arrives while its job is being claimed. */
  private readonly cancelledAt = new Map<string, number>();
  /** Rows handed back at shutdown, relayed once this process's workers can no longer take them. */
  private readonly handedBack: Job[] = [];
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private started = false;

  constructor(
    dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly redis: RedisConnection,
    private readonly afterCommit: AfterCommit,
  ) {
    super();
    this.ledger = new JobLedger(dataSource, config.jobLeaseMs);
  }

  registerHandler<N extends JobName>(name: N, handler: JobHandler<N>, options: JobHandlerOptions): void {
    checkNotYetRegistered(this.registrations, name);
    const registration: Registration = { handler: handler as JobHandler<JobName>, options };
    this.registrations.set(name, registration);
    if (this.started) this.startWorker(name, registration);
  }

  async enqueue<N extends JobName>(
    name: N,
    key: string,
    data: Parameters<JobHandler<N>>[0],
    options: EnqueueOptions = {},
  ): Promise<void> {
    const job = await this.ledger.insert(options.manager, name, key, data, options.delayMs);
    this.afterCommit.run(options.manager, () => void this.relay([job]));
  }

  async cancel(name: JobName, keys: string[], manager?: EntityManager): Promise<void> {
    if (keys.length === 0) return;
    await this.ledger.remove(name, keys, manager);
    this.afterCommit.run(manager, () => {
      this.abortRunning(name, keys);
      this.redis
        .client()
        .publish(this.cancellationChannel, JSON.stringify({ name, keys }))
        .catch((error: Error) =>
          this.logger.warn(`Publishing a cancellation failed (leases catch it): ${error.message}`),
        );
    });
  }

  countPending(name: JobName): Promise<number> {
    return this.ledger.countPending(name);
  }

  /** Every job name's BullMQ queue, for the dashboard. */
  allQueues(): Queue[] {
    return JOB_NAMES.map((name) => this.queue(name));
  }

  async onApplicationBootstrap(): Promise<void> {
    checkEveryJobRegistered(this.registrations);
    this.sweepTimer = setInterval(() => void this.sweep(), this.config.jobRelayIntervalMs);
    void this.sweep();
    if (!this.config.workerEnabled) return;
    const subscriber = this.redis.open();
    subscriber.on('message', (_channel, message: string) => {
      const { name, keys } = JSON.parse(message) as { name: JobName; keys: string[] };
      this.abortRunning(name, keys);
    });
    await subscriber.subscribe(this.cancellationChannel);
    this.started = true;
    for (const [name, registration] of this.registrations) this.startWorker(name, registration);
  }

  /**
   * Stops taking jobs, hands running ones back (relayed for another worker once this process's
   * workers are closed) and closes the connections. A Redis that does not answer within the
   * grace period is let go: rows it could not be told about are relayed by the other processes'
   * sweeps, or taken over once their leases run out.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.started = false;
    clearInterval(this.sweepTimer);
    const workers = [...this.registrations.values()].flatMap(({ worker }) => (worker ? [worker] : []));
    const closing = workers.map((worker) => worker.close());
    for (const { controller } of this.running.values()) controller.abort(WORKER_SHUTDOWN);
    const queues = [...this.queues.values()];
    const closed = Promise.allSettled([...closing, this.sweeping])
      .then(() => this.relay(this.handedBack.splice(0)))
      .then(() => Promise.allSettled(queues.map((queue) => queue.close())));
    if (!(await settlesWithin(closed, SHUTDOWN_GRACE_MS))) {
      this.logger.warn(`Redis did not answer within ${SHUTDOWN_GRACE_MS} ms of shutdown: disconnecting`);
      await Promise.allSettled([...workers, ...queues].map((client) => client.disconnect()));
    }
  }

  private get cancellationChannel(): string {
    return `${this.redis.prefix}:job-cancellations`;
  }

  private queue(name: JobName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, {
        ...this.redis.forBullmq(),
        defaultJobOptions: { removeOnComplete: true, removeOnFail: true },
      });
      queue.on('error', (error) => this.logger.warn(`BullMQ queue ${name}: ${error.message}`));
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** Tells BullMQ about rows; a row it already has is left as it is. */
  private async relay(rows: Job[]): Promise<void> {
    const now = Date.now();
    try {
      for (const name of new Set(rows.map((row) => row.name as JobName))) {
        const jobs = rows
          .filter((row) => row.name === name)
          .map((row) => ({ name, data: {}, opts: { jobId: row.id, delay: Math.max(0, row.runAt.getTime() - now) } }));
        await this.queue(name).addBulk(jobs);
      }
    } catch (error) {
      this.logger.warn(
        `Relaying ${rows.length} job(s) to BullMQ failed, the sweep retries: ${(error as Error).message}`,
      );
    }
  }

  private sweep(): Promise<void> {
    this.sweeping ??= this.ledger
      .unfinished(SWEEP_BATCH)
      .then((rows) => this.relay(rows))
      .catch((error: Error) => this.logger.warn(`Reading the jobs to relay failed: ${error.message}`))
      .finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  private startWorker(name: JobName, registration: Registration): void {
    registration.worker = new Worker(name, (job, token) => this.process(registration, job, token), {
      ...this.redis.forBullmq(),
      concurrency: registration.options.concurrency,
      // A worker that died is noticed after about one lease, as on the database queue.
      lockDuration: this.config.jobLeaseMs,
      stalledInterval: this.config.jobLeaseMs,
    });
    registration.worker.on('error', (error) => this.logger.warn(`BullMQ worker ${name}: ${error.message}`));
  }

  private async process(registration: Registration, bullJob: BullJob, token: string | undefined): Promise<void> {
    const claimedFrom = Date.now();
    const claim = await this.ledger.claim(bullJob.id!);
    if ('gone' in claim) return;
    if ('notBefore' in claim) return this.postpone(bullJob, token, claim.notBefore);
    const { job } = claim;
    const controller = new AbortController();
    this.running.set(job.id, { job, controller });
    if ((this.cancelledAt.get(cancellationKey(job.name, job.key)) ?? -Infinity) >= claimedFrom) {
      controller.abort(JOB_CANCELLED);
    }
    const heartbeat = setInterval(
      () =>
        void this.ledger.renew(job).then(
          (ours) => ours || controller.abort(JOB_CANCELLED),
          (error: Error) => this.logger.warn(`Renewing the lease of job ${job.id} failed: ${error.message}`),
        ),
      Math.max(100, this.config.jobLeaseMs / 3),
    );
    let runAgainAt: Date | null = null;
    try {
      await registration.handler(JSON.parse(job.data), {
        signal: controller.signal,
        attempt: job.attempts,
        jobId: job.id,
      });
      if (controller.signal.aborted) throw controller.signal.reason;
      await this.ledger.complete(job);
    } catch (error) {
      runAgainAt = await this.ledger.settleFailure(job, registration.options, controller.signal, error);
    } finally {
      clearInterval(heartbeat);
      this.running.delete(job.id);
    }
    if (!runAgainAt) return;
    // A closing worker could take its own job back: the relay after the workers closed delivers it to another.
    if (controller.signal.reason === WORKER_SHUTDOWN) this.handedBack.push(job);
    else return this.postpone(bullJob, token, runAgainAt);
  }

  /** Back to BullMQ's delayed set until `at`, without counting as a BullMQ attempt. */
  private async postpone(bullJob: BullJob, token: string | undefined, at: Date): Promise<never> {
    await bullJob.moveToDelayed(Math.max(at.getTime(), Date.now()), token);
    throw new DelayedError();
  }

  private abortRunning(name: JobName, keys: string[]): void {
    const now = Date.now();
    for (const [key, at] of this.cancelledAt) if (at < now - RECENT_CANCELLATION_MS) this.cancelledAt.delete(key);
    for (const key of keys) this.cancelledAt.set(cancellationKey(name, key), now);
    const cancelled = new Set(keys);
    for (const { job, controller } of this.running.values()) {
      if (job.name === name && cancelled.has(job.key)) controller.abort(JOB_CANCELLED);
    }
  }
}

/** How long a cancellation is remembered for a job whose claim was under way when it came. */
const RECENT_CANCELLATION_MS = 10_000;

function cancellationKey(name: string, key: string): string {
  return `${name}\u0000${key}`;
}
