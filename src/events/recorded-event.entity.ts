import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { MediaClockKind } from '../media/media-clock.js';

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
   * Wall-clock instant of media time 0 as registered; it places ISO instants only in media without
   * timestamps of its own (mediaClock "none"), or while they could not be read (null).
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

  /**
   * Where the media's own clock comes from, read from its manifest: HLS EXT-X-PROGRAM-DATE-TIME or
   * DASH availabilityStartTime; "none" when the media has no timestamps; null while its manifest
   * could not be read (it is tried again when a download is created).
   * @example "hls-program-date-time"
   */
  @Column('varchar', { length: 40, nullable: true })
  mediaClock: MediaClockKind | null;

  /**
   * Wall-clock instant of media time 0 by the media's own clock; it wins over startTime.
   * @example "2018-10-10T13:59:58.040Z"
   */
  @Column({ type: Date, nullable: true })
  mediaStartTime: Date | null;

  /**
   * Seconds the media's timestamps span from mediaStartTime, when its manifest says.
   * @example 7204
   */
  @Column('double precision', { nullable: true })
  mediaDuration: number | null;

  @Column()
  createdAt: Date;
}
