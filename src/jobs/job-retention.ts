import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, LessThan } from 'typeorm';
import { addDays } from '../common/days.js';
import { AppConfig } from '../config/app-config.js';
import { deleteInBatches } from '../database/delete-in-batches.js';
import { Job } from './job.entity.js';
import { ScheduleClaims } from './schedule-claims.js';

export const JOB_RETENTION_SCHEDULE = 'job-retention';

/** Deletes what ended before `cutoff`; returns how many. */
export type EndedJobsPruner = (cutoff: Date) => Promise<number>;

/**
 * Ended jobs are kept for JOB_RETENTION_DAYS, for an operator (a background job that failed for
 * good, with its last error) or a client (an Opencast job's payload) to look at; then the cleanup
 * schedule (CLEANUP_CRON, once per tick across processes) deletes them. Completed background jobs
 * are deleted by the queue as they finish. Features add their own ended jobs with `alsoPrune`.
 */
@Injectable()
export class JobRetention implements OnApplicationBootstrap {
  private readonly logger = new Logger(JobRetention.name);
  private readonly pruners = new Map<string, EndedJobsPruner>([
    ['failed job(s)', (cutoff) => this.pruneFailed(cutoff)],
  ]);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly claims: ScheduleClaims,
    private readonly config: AppConfig,
  ) {}

  /** Adds a kind of ended job to prune, e.g. 'distribution job(s)'. */
  alsoPrune(what: string, pruner: EndedJobsPruner): void {
    this.pruners.set(what, pruner);
  }

  onApplicationBootstrap(): Promise<void> {
    return this.claims.schedule(JOB_RETENTION_SCHEDULE, this.config.cleanupCron, () => this.pruneEnded());
  }

  /** Deletes every kind of job that ended more than JOB_RETENTION_DAYS before `now` (wall time); returns how many. */
  async pruneEnded(now = new Date()): Promise<number> {
    const cutoff = addDays(now, -this.config.jobRetentionDays);
    let total = 0;
    for (const [what, prune] of this.pruners) {
      const deleted = await prune(cutoff);
      this.logger.log(`Deleted ${deleted} ${what} that ended over ${this.config.jobRetentionDays} day(s) ago`);
      total += deleted;
    }
    return total;
  }

  private pruneFailed(cutoff: Date): Promise<number> {
    // The queue stamps runAt with the moment it gives a job up for good.
    return deleteInBatches(this.dataSource.manager, Job, 'id', { status: 'failed', runAt: LessThan(cutoff) });
  }
}
