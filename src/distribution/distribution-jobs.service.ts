import { Injectable, Logger, NotFoundException, OnModuleInit, ServiceUnavailableException } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { Clock } from '../common/clock.js';
import { AppConfig } from '../config/app-config.js';
import { JobContext, JobQueue } from '../jobs/job-queue.js';
import { JobTelemetry } from '../observability/job-telemetry.js';
import { Metrics } from '../observability/metrics.js';
import { DistributionJob, DistributionJobStatus, DistributionOperation } from './distribution-job.entity.js';
import type { DistributeFormDto } from './distribution-form.dto.js';
import { DistributionService } from './distribution.service.js';
import { JobView, toJobView } from './job-document.js';
import { joinElementDocuments } from './mediapackage.js';

const RUN_JOB = 'distribution.run';

export interface JobListing {
  status?: DistributionJobStatus;
  limit?: number;
  offset?: number;
}
/** Jobs a listing returns unless told otherwise, as Opencast's service registry. */
const DEFAULT_LIST_LIMIT = 100;

/**
 * Opencast jobs of this service: created QUEUED when a request is accepted, run by the durable
 * job queue (so a restart resumes them), RUNNING → FINISHED with the result as payload, or FAILED.
 */
@Injectable()
export class DistributionJobsService implements OnModuleInit {
  private readonly logger = new Logger(DistributionJobsService.name);

  constructor(
    @InjectRepository(DistributionJob) private readonly jobs: Repository<DistributionJob>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly queue: JobQueue,
    private readonly distribution: DistributionService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly telemetry: JobTelemetry,
    private readonly metrics: Metrics,
  ) {}

  onModuleInit(): void {
    const run = this.telemetry.observe(RUN_JOB, ({ jobId }, context) => this.runJob(jobId, context));
    this.queue.registerHandler(RUN_JOB, run, {
      concurrency: this.config.distribution.concurrency,
      // A run fails the job itself; retries only cover the database being unreachable.
      maxAttempts: 3,
      backoffMs: 1000,
    });
  }

  /**
   * Validates the request (400 on bad input), then stores the job and queues it in one
   * transaction. 503 only when DISTRIBUTION_MAX_QUEUED_JOBS jobs are waiting already.
   */
  async submit(operation: DistributionOperation, form: DistributeFormDto, creator: string): Promise<JobView> {
    const request = await this.distribution.prepare(operation, form);
    const pending = await this.queue.countPending(RUN_JOB);
    if (pending >= this.config.distribution.maxQueuedJobs) {
      throw new ServiceUnavailableException(
        `The distribution queue is full (${pending} jobs waiting, DISTRIBUTION_MAX_QUEUED_JOBS=${this.config.distribution.maxQueuedJobs}); try again later`,
      );
    }
    return this.dataSource.transaction(async (manager) => {
      const job = await manager.save(
        manager.create(DistributionJob, {
          operation,
          status: 'QUEUED',
          argsJson: JSON.stringify(this.distribution.argumentsOf(request)),
          payload: null,
          failureReason: null,
          creator,
          organization: this.config.distribution.organization,
          createdHost: this.config.publicUrl,
          processingHost: null,
          dateCreated: this.clock.now(),
          dateStarted: null,
          dateCompleted: null,
        }),
      );
      await this.queue.enqueue(RUN_JOB, String(job.id), { jobId: job.id }, { manager });
      return this.viewOf(job);
    });
  }

  async findJob(id: number): Promise<JobView> {
    const job = await this.jobs.findOneBy({ id });
    if (!job) throw new NotFoundException(`No job has id ${id}`);
    return this.viewOf(job);
  }

  /** The newest `limit` jobs after skipping the newest `offset`, oldest first. */
  async listJobs({ status, limit = DEFAULT_LIST_LIMIT, offset = 0 }: JobListing): Promise<JobView[]> {
    const newest = await this.jobs.find({
      where: status ? { status } : {},
      order: { id: 'DESC' },
      skip: offset,
      take: limit,
    });
    return newest.reverse().map((job) => this.viewOf(job));
  }

  /** Runs a job; an aborted run (shutdown) goes back to the queue and starts over. */
  private async runJob(jobId: number, { signal }: JobContext): Promise<void> {
    const job = await this.jobs.findOneBy({ id: jobId });
    if (!job || job.status === 'FINISHED' || job.status === 'FAILED') return;
    await this.update(job, { status: 'RUNNING', dateStarted: this.clock.now(), processingHost: this.config.publicUrl });
    let payload: string;
    try {
      const request = await this.distribution.fromArguments(job.operation, JSON.parse(job.argsJson) as string[]);
      const documents =
        request.operation === 'Distribute'
          ? await this.distribution.distribute(request, signal)
          : await this.distribution.retract(request);
      payload = joinElementDocuments(documents);
    } catch (error) {
      if (signal.aborted) throw error;
      const reason = (error as Error).message;
      this.logger.warn(`Distribution job ${job.id} (${job.operation}) failed: ${reason}`);
      await this.update(job, { status: 'FAILED', failureReason: reason, dateCompleted: this.clock.now() });
      this.metrics.distributionJobEnded(job.operation, 'failed');
      return;
    }
    await this.update(job, { status: 'FINISHED', payload, dateCompleted: this.clock.now() });
    this.metrics.distributionJobEnded(job.operation, 'finished');
  }

  /** The job as Opencast shows it, with its URL on this node. */
  private viewOf(job: DistributionJob): JobView {
    return toJobView(job, this.config.publicUrl);
  }

  private async update(job: DistributionJob, changes: Partial<DistributionJob>): Promise<void> {
    Object.assign(job, changes, { version: job.version + 1 });
    await this.jobs.update({ id: job.id }, { ...changes, version: job.version });
  }
}
