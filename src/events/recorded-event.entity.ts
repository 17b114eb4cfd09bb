import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A recording that downloads are cut from. */
@Entity('event')
export class RecordedEvent {
  /** @example "98f70502-d120-4ee6-991e-7dd67eefe699" */
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  /** @example "Plenary session, 10 October 2018" */
  @Column('varchar', { length: 500 })
  title: string;

  /**
   * The recording's media: an HLS or DASH manifest or MP4 over http(s), or a file path under MEDIA_ROOT.
   * @example "https://origin.example.com/vod/98f70502/index.m3u8"
   */
  @Column('varchar', { length: 2000 })
  sourceUrl: string;

  /**
   * Wall-clock instant of media time 0, for timestamped recordings.
   * @example "2018-10-10T14:00:00.000Z"
   */
  @Column({ type: Date, nullable: true })
  startTime: Date | null;

  /**
   * Length in seconds, when known.
   * @example 7200
   */
  @Column('double precision', { nullable: true })
  duration: number | null;

  @Column()
  createdAt: Date;
}
