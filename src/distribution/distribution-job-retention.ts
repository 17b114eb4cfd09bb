import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, LessThan } from 'typeorm';
import { deleteInBatches } from '../database/delete-in-batches.js';
import { JobRetention } from '../jobs/job-retention.js';
import { DistributionJob } from './distribution-job.entity.js';

/**
 * Opencast polls a distribution job until it ends and reads its payload then; a finished or
 * failed job stays answerable at /services/job/{id} for JOB_RETENTION_DAYS, then JobRetention
 * deletes it. Unfinished jobs stay however old: Opencast still waits for them.
 */
@Injectable()
export class DistributionJobRetention implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly retention: JobRetention,
  ) {}

  onModuleInit(): void {
    this.retention.alsoPrune('distribution job(s)', (cutoff) => this.pruneEndedBefore(cutoff));
  }

  pruneEndedBefore(cutoff: Date): Promise<number> {
    return deleteInBatches(this.dataSource.manager, DistributionJob, 'id', {
      status: In(['FINISHED', 'FAILED']),
      dateCompleted: LessThan(cutoff),
    });
  }
}
