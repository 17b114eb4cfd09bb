import {
  Injectable,
  Logger,
  NotFoundException,
  OnModuleInit,
  PreconditionFailedException,
  ServiceUnavailableException,
} from '@nestjs/common';
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
import { InvalidRequestError } from '../common/invalid-request.error.js';
import { DISTRIBUTION_JOB_TYPE, JOB_LOAD, JobView, renderJobXml, toJobView } from './job-document.js';
import { joinElementDocuments } from './mediapackage.js';
import { RegistryClient, RegistryError, type WorkflowHeaders } from './opencast-registry/registry-client.js';
import { parseRegistryJob, type RegistryJob } from './opencast-registry/registry-documents.js';
import { RegistryJobReporter } from './opencast-registry/registry-job-reporter.service.js';

const RUN_JOB = 'distribution.run';

/** Who asks for a job: the authenticated user, and the headers of Opencast's client to forward. */
export interface JobCaller {
  creator: string;
  workflowHeaders: WorkflowHeaders;
}

interface NewJob {
  operation: DistributionOperation;
  args: string[];
  creator: string;
  organization: string;
  registryJobId: number | null;
}

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
 * As a member of an Opencast cluster, each job is also a job of the cluster's service registry
 * (created there, or dispatched from there), and every change of status is reported to it.
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
    private readonly registry: RegistryClient,
    private readonly reporter: RegistryJobReporter,
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
   * transaction; answers the job document. In a cluster the job is created in the registry first
   * and its document is the answer, as Opencast's remote client expects. 503 when
   * DISTRIBUTION_MAX_QUEUED_JOBS jobs are waiting already, or the registry cannot be reached.
   */
  async submit(operation: DistributionOperation, form: DistributeFormDto, caller: JobCaller): Promise<string> {
    const args = this.distribution.argumentsOf(await this.distribution.prepare(operation, form));
    await this.refuseWhenFull();
    const organization = this.config.distribution.organization;
    if (!this.registry.enabled)
      return renderJobXml(
        this.viewOf(await this.store({ operation, args, organization, creator: caller.creator, registryJobId: null })),
      );
    let registryXml: string;
    try {
      const job = { operation, args, jobLoad: JOB_LOAD };
      registryXml = await this.registry.createJob(this.config.publicUrl, job, caller.workflowHeaders);
    } catch (error) {
      if (!(error instanceof RegistryError)) throw error;
      throw new ServiceUnavailableException(`The job cannot be created in the Opencast registry: ${error.message}`);
    }
    const created = parseRegistryJob(registryXml);
    await this.store({
      operation,
      args,
      creator: created.creator || caller.creator,
      organization: created.organization || organization,
      registryJobId: created.id,
    });
    return registryXml;
  }

  /**
   * Takes a job Opencast's dispatcher offers: 204 when accepted, 503 while the queue is full (the
   * dispatcher tries another host), 412 for a job this service can never run (it fails there).
   */
  async acceptDispatched(registryJobId: number): Promise<void> {
    this.requireMembership();
    const known = await this.jobs.findOneBy({ registryJobId });
    if (known) {
      await this.dataSource.transaction((manager) => this.reporter.reportLater(known, manager));
      return;
    }
    await this.refuseWhenFull();
    let offered: RegistryJob;
    try {
      offered = parseRegistryJob(await this.registry.getJob(registryJobId));
    } catch (error) {
      if (!(error instanceof RegistryError)) throw error;
      throw new ServiceUnavailableException(`Job ${registryJobId} cannot be read from the registry: ${error.message}`);
    }
    const operation = offered.operation;
    if (offered.type !== DISTRIBUTION_JOB_TYPE || (operation !== 'Distribute' && operation !== 'Retract'))
      throw new PreconditionFailedException(
        `Job ${registryJobId} is a ${offered.type} ${operation} job, not one of this service`,
      );
    try {
      await this.distribution.fromArguments(operation, offered.args);
    } catch (error) {
      if (!(error instanceof InvalidRequestError)) throw error;
      throw new PreconditionFailedException(`Job ${registryJobId} cannot be run: ${error.message}`);
    }
    await this.store({
      operation,
      args: offered.args,
      creator: offered.creator,
      organization: offered.organization || this.config.distribution.organization,
      registryJobId,
    });
  }

  /** The heartbeat of Opencast's registry: answered only as a member of a cluster. */
  requireMembership(): void {
    if (!this.registry.enabled) throw new NotFoundException('This service is not a member of an Opencast cluster');
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

  private async refuseWhenFull(): Promise<void> {
    const pending = await this.queue.countPending(RUN_JOB);
    if (pending >= this.config.distribution.maxQueuedJobs) {
      throw new ServiceUnavailableException(
        `The distribution queue is full (${pending} jobs waiting, DISTRIBUTION_MAX_QUEUED_JOBS=${this.config.distribution.maxQueuedJobs}); try again later`,
      );
    }
  }

  /** Stores the job QUEUED and queues its run, in one transaction. */
  private store(job: NewJob): Promise<DistributionJob> {
    return this.dataSource.transaction(async (manager) => {
      const stored = await manager.save(
        manager.create(DistributionJob, {
          ...job,
          status: 'QUEUED',
          argsJson: JSON.stringify(job.args),
          payload: null,
          failureReason: null,
          createdHost: this.config.publicUrl,
          processingHost: null,
          dateCreated: this.clock.now(),
          dateStarted: null,
          dateCompleted: null,
          registryStatus: null,
        }),
      );
      await this.queue.enqueue(RUN_JOB, String(stored.id), { jobId: stored.id }, { manager });
      return stored;
    });
  }

  /** The job as Opencast shows it, with its URL on this node. */
  private viewOf(job: DistributionJob): JobView {
    return toJobView(job, this.config.publicUrl);
  }

  /** Changes the job and, in a cluster, queues the report of its new state in the same transaction. */
  private async update(job: DistributionJob, changes: Partial<DistributionJob>): Promise<void> {
    Object.assign(job, changes, { version: job.version + 1 });
    await this.dataSource.transaction(async (manager) => {
      await manager.update(DistributionJob, { id: job.id }, { ...changes, version: job.version });
      await this.reporter.reportLater(job, manager);
    });
  }
}
