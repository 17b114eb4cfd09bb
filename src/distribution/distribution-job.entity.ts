import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const DISTRIBUTION_JOB_STATUSES = ['QUEUED', 'RUNNING', 'FINISHED', 'FAILED'] as const;
export type DistributionJobStatus = (typeof DISTRIBUTION_JOB_STATUSES)[number];
export type DistributionOperation = 'Distribute' | 'Retract';

/**
 * An Opencast job of the download distribution service, as Opencast's clients see it at
 * /services/job/{id}.xml. The id is an integer because Opencast parses job ids as Java longs.
 */
@Entity('distribution_job')
export class DistributionJob {
  @PrimaryGeneratedColumn()
  id: number;

  /** Grows with every change, like Opencast's optimistic-locking version. */
  @Column('integer', { default: 1 })
  version: number;

  @Column('varchar', { length: 16 })
  operation: DistributionOperation;

  @Index('IDX_distribution_job_status')
  @Column('varchar', { length: 16 })
  status: DistributionJobStatus;

  /** JSON array of the job's arguments in Opencast's order: channelId, mediapackage XML, element ids JSON, flags. */
  @Column('text')
  argsJson: string;

  /** The `###`-joined XML of the resulting elements, once finished. */
  @Column('text', { nullable: true })
  payload: string | null;

  @Column('text', { nullable: true })
  failureReason: string | null;

  @Column('varchar', { length: 255 })
  creator: string;

  @Column('varchar', { length: 255 })
  organization: string;

  @Column('varchar', { length: 255 })
  createdHost: string;

  @Column('varchar', { length: 255, nullable: true })
  processingHost: string | null;

  @Column()
  dateCreated: Date;

  @Column({ type: Date, nullable: true })
  dateStarted: Date | null;

  @Column({ type: Date, nullable: true })
  dateCompleted: Date | null;

  /** The job's id in the Opencast cluster's service registry, when the service is a member of one. */
  @Index('IDX_distribution_job_registry_job', { unique: true })
  @Column('integer', { nullable: true })
  registryJobId: number | null;

  /** The status last written to the registry's job; the job is reported until this is final. */
  @Column('varchar', { length: 16, nullable: true })
  registryStatus: DistributionJobStatus | null;
}
