import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export type VodDownloadStatus = 'queued' | 'processing' | 'completed' | 'failed';

/** How the video was cut: stream copy, smart cut (copy with a few pictures re-encoded) or whole re-encode. */
export type CutMethodName = 'copy' | 'smart' | 'reencode';

/** A requested MP4 cut from one or more recorded events. */
@Entity('vod_download')
@Index('IDX_vod_download_event', ['eventId', 'creationDate'])
export class VodDownload {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Index('UQ_vod_download_content', { unique: true })
  @Column('varchar', { length: 256 })
  contentId: string;

  /** The master clip's event, else the first clip's. */
  @Column('varchar', { length: 36 })
  eventId: string;

  /** `downloads/<folder>/<file>.mp4`, relative to the data directory and to PUBLIC_URL; the folder is the content id made safe. */
  @Index('UQ_vod_download_path', { unique: true })
  @Column('varchar', { length: 400 })
  downloadPath: string;

  @Column('varchar', { length: 320 })
  emailAddress: string;

  @Index('IDX_vod_download_created')
  @Column()
  creationDate: Date;

  @Column({ type: Date, nullable: true })
  completionDate: Date | null;

  @Column({ type: Date, nullable: true })
  failureDate: Date | null;

  @Column('text')
  downloadTaskJson: string;

  @Column('varchar', { length: 35, nullable: true })
  emailLanguage: string | null;

  @Column('varchar', { length: 16 })
  status: VodDownloadStatus;

  @Column('integer', { default: 0 })
  progress: number;

  @Column('text', { nullable: true })
  failureReason: string | null;

  @Column('varchar', { length: 255 })
  mp4Filename: string;

  @Column('boolean', { default: false })
  frameAccurate: boolean;

  /** Null until the file is made. */
  @Column('varchar', { length: 16, nullable: true })
  cutMethod: CutMethodName | null;
}
