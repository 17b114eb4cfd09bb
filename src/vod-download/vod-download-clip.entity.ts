import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import type { ClipClock } from './clip-time.js';
import { VodDownload } from './vod-download.entity.js';

/**
 * One clip of a download as it was resolved when the download was created: its own event and its
 * times as offsets into that event's source. The worker cuts from these, so it never has to guess
 * a clip's event from its source, and deleting the event does not keep the download from a retry.
 */
@Entity('vod_download_clip')
export class VodDownloadClip {
  @PrimaryColumn('varchar', { length: 36 })
  downloadId: string;

  /** The clip's place in the download, from 0, as in the task's `clips`. */
  @PrimaryColumn('integer')
  position: number;

  @ManyToOne(() => VodDownload, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'downloadId', foreignKeyConstraintName: 'FK_vod_download_clip_download' })
  download?: VodDownload;

  @Column('varchar', { length: 36 })
  eventId: string;

  @Column('double precision')
  startSeconds: number;

  /** Null: to the end of the source. */
  @Column('double precision', { nullable: true })
  endSeconds: number | null;

  /** The clock that placed the clip's times in its source; null for clips stored before it was recorded. */
  @Column('varchar', { length: 16, nullable: true })
  placedBy: ClipClock | null;
}
