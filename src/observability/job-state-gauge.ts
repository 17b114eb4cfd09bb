import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import { Job, type JobStatus } from '../jobs/job.entity.js';
import { JOB_NAMES } from '../jobs/job-types.js';
import { Metrics } from './metrics.js';

const JOB_STATES: readonly JobStatus[] = ['queued', 'active', 'failed'];

/**
 * Jobs by kind and state, counted in the job table when scraped: every queue keeps its jobs'
 * rows there, so this is the same whichever queue runs them and whichever process is asked.
 */
@Injectable()
export class JobStateGauge {
  constructor(@InjectDataSource() dataSource: DataSource, metrics: Metrics) {
    new Gauge({
      name: 'media_delivery_jobs',
      help: 'Jobs in the job table by kind and state (queued includes those waiting for a retry)',
      labelNames: ['kind', 'state'] as const,
      registers: [metrics.registry],
      async collect() {
        const rows: { kind: string; state: string; count: string | number }[] = await dataSource.manager
          .createQueryBuilder(Job, 'job')
          .select('job.name', 'kind')
          .addSelect('job.status', 'state')
          .addSelect('COUNT(*)', 'count')
          .groupBy('job.name')
          .addGroupBy('job.status')
          .getRawMany();
        this.reset();
        for (const kind of JOB_NAMES) for (const state of JOB_STATES) this.set({ kind, state }, 0);
        for (const row of rows) this.set({ kind: row.kind, state: row.state }, Number(row.count));
      },
    });
  }
}
