import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, LessThan } from 'typeorm';
import { addDays } from '../common/days.js';
import { AppConfig } from '../config/app-config.js';
import { deleteInBatches } from '../database/delete-in-batches.js';
import { Job } from './job.entity.js';
import { ScheduleClaims } from './schedule-claims.js';

export const JOB_RETENTION_SCHEDULE = 'job-retention';

/**
 * A job that failed for good stays in the job table with its last error, for an operator to
 * look at, for JOB_RETENTION_DAYS; then the cleanup schedule (CLEANUP_CRON, once per tick across
 * processes) deletes it. Completed jobs are deleted by the queue as they finish.
 */
@Injectable()
export class JobRetention implements OnApplicationBootstrap {
  private readonly logger = new Logger(JobRetention.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly claims: ScheduleClaims,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.cleanupCron) return;
    this.claims.schedule(JOB_RETENTION_SCHEDULE, this.config.cleanupCron, async () => {
      const deleted = await this.pruneFinished();
      this.logger.log(`Deleted ${deleted} job(s) that failed over ${this.config.jobRetentionDays} day(s) ago`);
    });
  }

  /**
   * Deletes the jobs that failed more than JOB_RETENTION_DAYS before `now` (wall time, as the
   * queue records it), a bounded batch at a time; returns how many.
   */
  pruneFinished(now = new Date()): Promise<number> {
    return deleteInBatches(this.dataSource.manager, Job, 'id', {
      status: 'failed',
      runAt: LessThan(addDays(now, -this.config.jobRetentionDays)),
    });
  }
}
