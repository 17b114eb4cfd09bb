import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, LessThan } from 'typeorm';
import { addDays } from '../common/days.js';
import { AppConfig } from '../config/app-config.js';
import { deleteInBatches } from '../database/delete-in-batches.js';
import { ScheduleClaims } from '../jobs/schedule-claims.js';
import { DistributionJob } from './distribution-job.entity.js';

export const DISTRIBUTION_JOB_RETENTION_SCHEDULE = 'distribution-job-retention';

/**
 * Opencast polls a distribution job until it ends and reads its payload then; a finished or
 * failed job stays answerable at /services/job/{id} for JOB_RETENTION_DAYS, and then the cleanup
 * schedule (CLEANUP_CRON, once per tick across processes) deletes it.
 */
@Injectable()
export class DistributionJobRetention implements OnApplicationBootstrap {
  private readonly logger = new Logger(DistributionJobRetention.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly claims: ScheduleClaims,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.cleanupCron) return;
    this.claims.schedule(DISTRIBUTION_JOB_RETENTION_SCHEDULE, this.config.cleanupCron, async () => {
      const deleted = await this.pruneEnded();
      this.logger.log(
        `Deleted ${deleted} distribution job(s) that ended over ${this.config.jobRetentionDays} day(s) ago`,
      );
    });
  }

  /** Deletes the jobs that finished or failed more than JOB_RETENTION_DAYS before `now`; returns how many. */
  pruneEnded(now = new Date()): Promise<number> {
    return deleteInBatches(this.dataSource.manager, DistributionJob, 'id', {
      status: In(['FINISHED', 'FAILED']),
      dateCompleted: LessThan(addDays(now, -this.config.jobRetentionDays)),
    });
  }
}
