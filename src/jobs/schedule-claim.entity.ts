import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One row per scheduled run that a process has taken on; the primary key lets only one process take it. */
@Entity('schedule_claim')
export class ScheduleClaim {
  @PrimaryColumn('varchar', { length: 64 })
  name: string;

  @PrimaryColumn({ type: Date })
  scheduledAt: Date;

  @Column('varchar', { length: 64 })
  claimedBy: string;
}
