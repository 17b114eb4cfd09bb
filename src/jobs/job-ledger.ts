import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { DataSource, EntityManager, FindOptionsWhere, In, LessThan, LessThanOrEqual } from 'typeorm';
import { insertRow } from '../database/insert-row.js';
import { JOB_CANCELLED, JobHandlerOptions, JobQueue, WORKER_SHUTDOWN } from './job-queue.js';
import { Job } from './job.entity.js';
import type { JobName } from './job-types.js';

/** What claiming one job row found: it is ours now, it is not due before `notBefore`, or it is gone. */
export type JobClaim = { job: Job } | { notBefore: Date } | { gone: true };

/**
 * The `job` table as the durable record of queued work, for a queue that delivers jobs some other
 * way (BullMQ): a row is written in the caller's transaction, claimed by a conditional UPDATE
 * with a lease before its handler runs, and deleted when done. The claim is the fence that keeps
 * one job from running twice at once, whatever the delivery does.
 */
export class JobLedger {
  private readonly logger = new Logger(JobQueue.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly workerId: string,
    private readonly leaseMs: number,
  ) {}

  async insert(manager: EntityManager | undefined, name: JobName, key: string, data: unknown, delayMs = 0) {
    const now = Date.now();
    const job: Job = {
      id: randomUUID(),
      name,
      key,
      data: JSON.stringify(data),
      status: 'queued',
      attempts: 0,
      runAt: new Date(now + delayMs),
      lockedBy: null,
      lockedUntil: null,
      lastError: null,
      createdAt: new Date(now),
    };
    await insertRow(manager ?? this.dataSource.manager, Job, job);
    return job;
  }

  /** Takes the row if it is due (or its owner's lease ran out), counting an attempt. */
  async claim(id: string): Promise<JobClaim> {
    const manager = this.dataSource.manager;
    const now = new Date();
    const claimed = await manager.update(Job, claimable(id, now), {
      status: 'active',
      lockedBy: this.workerId,
      lockedUntil: new Date(now.getTime() + this.leaseMs),
      attempts: () => 'attempts + 1',
    });
    const job = await manager.findOneBy(Job, { id });
    if (claimed.affected === 1 && job) return { job };
    if (!job || job.status === 'failed') return { gone: true };
    // Leased by a live worker (a re-delivery of a stalled job), or waiting for its retry.
    return { notBefore: job.status === 'queued' ? job.runAt : new Date(job.lockedUntil!.getTime() + 50) };
  }

  /** Extends the lease; false when the row is no longer ours (cancelled by any process). */
  async renew(job: Job): Promise<boolean> {
    const result = await this.dataSource.manager.update(
      Job,
      { id: job.id, lockedBy: this.workerId },
      { lockedUntil: new Date(Date.now() + this.leaseMs) },
    );
    return result.affected !== 0;
  }

  async complete(job: Job): Promise<void> {
    await this.dataSource.manager.delete(Job, { id: job.id, lockedBy: this.workerId });
  }

  /**
   * Records a run that did not complete: handed back untouched at shutdown, retried with backoff,
   * or failed for good. Resolves to when the job should run again, or null when it should not.
   */
  async settleFailure(job: Job, options: JobHandlerOptions, signal: AbortSignal, error: unknown): Promise<Date | null> {
    const mine = { id: job.id, lockedBy: this.workerId };
    const released = { lockedBy: null, lockedUntil: null };
    if (signal.reason === JOB_CANCELLED) return null;
    if (signal.reason === WORKER_SHUTDOWN) {
      const runAt = new Date();
      await this.dataSource.manager.update(Job, mine, {
        status: 'queued',
        attempts: job.attempts - 1,
        runAt,
        ...released,
      });
      return runAt;
    }
    const message = error instanceof Error ? error.message : String(error);
    if (job.attempts >= options.maxAttempts) {
      this.logger.error(`Job ${job.name} ${job.key} failed after ${job.attempts} attempt(s): ${message}`);
      await this.dataSource.manager.update(Job, mine, { status: 'failed', lastError: message, ...released });
      return null;
    }
    const delayMs = options.backoffMs * 2 ** (job.attempts - 1);
    this.logger.warn(
      `Job ${job.name} ${job.key} failed (attempt ${job.attempts}), retrying in ${delayMs} ms: ${message}`,
    );
    const runAt = new Date(Date.now() + delayMs);
    await this.dataSource.manager.update(Job, mine, { status: 'queued', runAt, lastError: message, ...released });
    return runAt;
  }

  /** Removes the rows of these keys; their running handlers notice at their next lease renewal. */
  async remove(name: JobName, keys: string[], manager?: EntityManager): Promise<void> {
    await (manager ?? this.dataSource.manager).delete(Job, { name, key: In(keys) });
  }

  async countPending(name: JobName): Promise<number> {
    return this.dataSource.manager.count(Job, {
      where: [
        { name, status: 'queued' },
        { name, status: 'active' },
      ],
    });
  }

  /** Rows still to run or running, soonest first: what the delivery must know about. */
  async unfinished(limit: number): Promise<Job[]> {
    return this.dataSource.manager.find(Job, {
      where: [{ status: 'queued' }, { status: 'active' }],
      order: { runAt: 'ASC' },
      take: limit,
    });
  }
}

/** The row `id` if ready to run: queued and due, or claimed by a worker whose lease ran out. */
function claimable(id: string, now: Date): FindOptionsWhere<Job>[] {
  return [
    { id, status: 'queued', runAt: LessThanOrEqual(now) },
    { id, status: 'active', lockedUntil: LessThan(now) },
  ];
}
