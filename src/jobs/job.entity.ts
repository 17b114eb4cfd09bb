import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export type JobStatus = 'queued' | 'active' | 'failed';

/**
 * A unit of background work that must survive a restart. Rows exist only while the work is
 * pending or, for JOB_RETENTION_DAYS, once it has finally failed; a completed job is deleted.
 * The feature's own table (a download, a distribution job) holds the state users see.
 */
@Entity('job')
@Index('IDX_job_due', ['name', 'status', 'runAt'])
export class Job {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { length: 64 })
  name: string;

  /** Identifies the job's subject (e.g. a download id) so that it can be cancelled. */
  @Index('IDX_job_key')
  @Column('varchar', { length: 255 })
  key: string;

  /** JSON of the job's data. */
  @Column('text')
  data: string;

  @Column('varchar', { length: 16 })
  status: JobStatus;

  @Column('integer', { default: 0 })
  attempts: number;

  // When the job is due; for a failed job, when it failed (JOB_RETENTION_DAYS count from it).
  @Column()
  runAt: Date;

  @Column('varchar', { length: 64, nullable: true })
  lockedBy: string | null;

  @Column({ type: Date, nullable: true })
  lockedUntil: Date | null;

  @Column('text', { nullable: true })
  lastError: string | null;

  @Column()
  createdAt: Date;
}
