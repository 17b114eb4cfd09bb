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
 * The `job` table as the durable record of queued work, for both queues: a row is written in the
 * caller's transaction, claimed by a conditional UPDATE with a lease before its handler runs, and
 * deleted when done. The database queue finds due rows by polling (claimNextDue); BullMQ delivers
 * their ids (claim), and the claim is the fence that keeps one job from running twice at once,
 * whatever the delivery does.
 */
export class JobLedger {
  private readonly logger = new Logger(JobQueue.name);
  /** Who holds the leases this process takes. */
  private readonly workerId = `${process.pid}-${randomUUID().slice(0, 8)}`;

  constructor(
    private readonly dataSource: DataSource,
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
    const claimed = await this.take(claimable(new Date(), { id }));
    const job = await this.dataSource.manager.findOneBy(Job, { id });
    if (claimed && job) return { job };
    if (!job || job.status === 'failed') return { gone: true };
    // Leased by a live worker (a re-delivery of a stalled job), or waiting for its retry.
    return { notBefore: job.status === 'queued' ? job.runAt : new Date(job.lockedUntil!.getTime() + 50) };
  }

  /** Takes the due job of `name` that has waited longest, if any (several workers may race for it). */
  async claimNextDue(name: JobName): Promise<Job | null> {
    for (let tries = 0; tries < 5; tries++) {
      const candidate = await this.dataSource.manager.findOne(Job, {
        select: { id: true },
        where: claimable(new Date(), { name }),
        order: { runAt: 'ASC' },
      });
      if (!candidate) return null;
      // Another worker took it between the SELECT and the UPDATE: look again.
      if (await this.take(claimable(new Date(), { name, id: candidate.id }))) {
        return this.dataSource.manager.findOneByOrFail(Job, { id: candidate.id });
      }
    }
    return null;
  }

  private async take(where: FindOptionsWhere<Job>[]): Promise<boolean> {
    const claimed = await this.dataSource.manager.update(Job, where, {
      status: 'active',
      lockedBy: this.workerId,
      lockedUntil: new Date(Date.now() + this.leaseMs),
      attempts: () => 'attempts + 1',
    });
    return claimed.affected === 1;
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
      // runAt becomes the moment the job was given up: the retention period counts from there.
      await this.dataSource.manager.update(Job, mine, {
        status: 'failed',
        runAt: new Date(),
        lastError: message,
        ...released,
      });
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

/** Rows ready to run: queued and due, or claimed by a worker whose lease ran out. */
function claimable(now: Date, rows: FindOptionsWhere<Job>): FindOptionsWhere<Job>[] {
  return [
    { ...rows, status: 'queued', runAt: LessThanOrEqual(now) },
    { ...rows, status: 'active', lockedUntil: LessThan(now) },
  ];
}
