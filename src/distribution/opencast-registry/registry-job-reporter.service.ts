import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, IsNull, Not, Repository, type EntityManager } from 'typeorm';
import { AppConfig } from '../../config/app-config.js';
import { JobQueue } from '../../jobs/job-queue.js';
import { DistributionJob } from '../distribution-job.entity.js';
import { RegistryClient, RegistryError } from './registry-client.js';
import { applyJobUpdate, parseRegistryJob, registryUpdateFor } from './registry-documents.js';

const REPORT_JOB = 'distribution.report';
/** Fresh GET and PUT again this often within one report when the registry answers 5xx (a stale version). */
const PUTS_PER_REPORT = 4;
const FINAL = ['FINISHED', 'FAILED'] as const;

/**
 * Writes each distribution job's status to its job in the Opencast registry, where JobBarrier
 * reads it: a durable queue job per change, queued in the transaction of the change, so a
 * restart still reports what it had done. Each PUT follows a fresh GET (the version is checked).
 */
@Injectable()
export class RegistryJobReporter implements OnModuleInit {
  constructor(
    @InjectRepository(DistributionJob) private readonly jobs: Repository<DistributionJob>,
    private readonly queue: JobQueue,
    private readonly registry: RegistryClient,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.queue.registerHandler(REPORT_JOB, ({ jobId }) => this.report(jobId), {
      concurrency: 4,
      // About an hour of retries while the registry is unreachable.
      maxAttempts: 13,
      backoffMs: 1000,
    });
  }

  /** Queues a report of the job's current state, inside the transaction that changed it. */
  async reportLater(job: DistributionJob, manager: EntityManager): Promise<void> {
    if (job.registryJobId === null) return;
    // One key per state, so no queue takes the report of a later state for a duplicate.
    await this.queue.enqueue(REPORT_JOB, `${job.id}@${job.version}`, { jobId: job.id }, { manager });
  }

  /** Queues the reports of finished jobs whose result the registry may not have (their reports gave up). */
  async reportUnreportedResults(): Promise<void> {
    const finished = await this.jobs.find({
      where: [
        { registryJobId: Not(IsNull()), status: In(FINAL), registryStatus: IsNull() },
        { registryJobId: Not(IsNull()), status: In(FINAL), registryStatus: Not(In(FINAL)) },
      ],
    });
    await this.jobs.manager.transaction(async (manager) => {
      for (const job of finished) await this.reportLater(job, manager);
    });
  }

  /** Registry jobs whose final status the registry does not have yet. */
  countUnreported(): Promise<number> {
    return this.jobs.count({
      where: [
        { registryJobId: Not(IsNull()), registryStatus: IsNull() },
        { registryJobId: Not(IsNull()), registryStatus: Not(In(FINAL)) },
      ],
    });
  }

  private async report(jobId: number): Promise<void> {
    let conflict: RegistryError | undefined;
    for (let put = 0; put < PUTS_PER_REPORT; put++) {
      const job = await this.jobs.findOneBy({ id: jobId });
      if (!job?.registryJobId) return;
      const documentXml = await this.registry.getJob(job.registryJobId);
      const update = registryUpdateFor(parseRegistryJob(documentXml), job, this.config.publicUrl);
      try {
        if (update) await this.registry.putJob(job.registryJobId, applyJobUpdate(documentXml, update));
      } catch (error) {
        if (!(error instanceof RegistryError) || error.status < 500) throw error;
        conflict = error;
        continue;
      }
      // Only while the job still has the status reported: a later change has its own report queued.
      if (job.status !== 'QUEUED')
        await this.jobs.update({ id: job.id, status: job.status }, { registryStatus: job.status });
      return;
    }
    throw conflict!;
  }
}
