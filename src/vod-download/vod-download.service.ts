import { randomUUID } from 'node:crypto';
import { ConflictException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, In, Repository } from 'typeorm';
import { Clock } from '../common/clock.js';
import { checkWithin, InvalidRequestError } from '../common/invalid-request.error.js';
import { AppConfig } from '../config/app-config.js';
import { insertRow } from '../database/insert-row.js';
import { PreparedLookup } from '../database/prepared-lookup.js';
import { EventsService } from '../events/events.service.js';
import { RecordedEvent } from '../events/recorded-event.entity.js';
import { JobQueue } from '../jobs/job-queue.js';
import { Metrics } from '../observability/metrics.js';
import { DownloadStore } from '../storage/download-store.js';
import { folderNameFor } from '../storage/folder-name.js';
import { isInstant, PlacedClipRange, resolveClipRange } from './clip-time.js';
import { DownloadCallbacks } from './download-callbacks.js';
import { downloadUrlOf } from './download-url.js';
import { buildDownloadTask } from './download-task.js';
import { expiredBefore, expiresAt, hasExpired } from './expiry.js';
import { toSafeFileStem, toSafeMp4FileName } from './file-name.js';
import { PublishedFile, PublishedFileCache } from './published-file-cache.js';
import { parseFilter } from './usp-filter.js';
import { CreateVodDownloadDto, DownloadClipDto, VodDownloadResponseDto } from './vod-download.dto.js';
import { VodDownloadClip } from './vod-download-clip.entity.js';
import { VodDownload } from './vod-download.entity.js';

const DELETE_BATCH_SIZE = 500;
export const NO_SUCH_DOWNLOAD = 'No such download: it may have expired or been deleted';

/** What `/downloads/<folder>/<file>` may send: the file, and how long until its download expires. */
export interface ServableFile {
  path: string;
  expiresInMs: number;
}

/** Selects one download by its id or by its content id. */
export type DownloadSelector = { id: string } | { contentId: string };

export interface Page {
  limit?: number;
  offset?: number;
}

@Injectable()
export class VodDownloadService {
  private readonly logger = new Logger(VodDownloadService.name);
  private readonly byId: PreparedLookup<VodDownload>;
  private readonly byContentId: PreparedLookup<VodDownload>;
  private readonly byDownloadPath: PreparedLookup<VodDownload>;
  private readonly publishedFiles = new PublishedFileCache();

  constructor(
    @InjectRepository(VodDownload) private readonly downloads: Repository<VodDownload>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly events: EventsService,
    private readonly jobs: JobQueue,
    private readonly store: DownloadStore,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly callbacks: DownloadCallbacks,
    private readonly metrics: Metrics,
  ) {
    this.byId = new PreparedLookup(downloads, 'id');
    this.byContentId = new PreparedLookup(downloads, 'contentId');
    this.byDownloadPath = new PreparedLookup(downloads, 'downloadPath');
  }

  async createDownload(request: CreateVodDownloadDto): Promise<VodDownload> {
    const clips = request.downloadClips;
    const masterClips = clips.filter((clip) => clip.isMasterClip);
    if (masterClips.length > 1) throw new InvalidRequestError('Only one clip may have isMasterClip true');
    const events = await this.events.findMany(clips.map((clip) => clip.eventId));
    await this.events.learnMediaClocks(eventsPlacingInstants(clips, events));
    const ranges = clips.map((clip, index) => this.resolveClip(clip, index, events.get(clip.eventId)));
    const restEndpoints = request.restEndpoints ?? [];
    restEndpoints.forEach((url, index) => {
      const refusal = this.callbacks.refusal(url);
      if (refusal) throw new InvalidRequestError(`restEndpoints[${index}]: ${refusal}`);
    });

    const contentId = request.contentId ?? randomUUID();
    const masterEvent = events.get((masterClips[0] ?? clips[0]).eventId)!;
    const mp4Filename = this.chooseFileName(
      request.mp4Filename,
      masterClips.length > 0 ? masterEvent : undefined,
      contentId,
    );
    const frameAccurate = request.frameAccurate ?? false;
    const task = buildDownloadTask({
      contentId,
      frameAccurate,
      client: this.config.clientName,
      restEndpoints,
      clips: clips.map((clip) => ({ ...clip, source: events.get(clip.eventId)!.sourceUrl })),
    });
    const download = this.downloads.create({
      id: randomUUID(),
      contentId,
      eventId: masterEvent.id,
      downloadPath: this.store.downloadPathFor(contentId, mp4Filename),
      emailAddress: request.emailAddress,
      creationDate: this.clock.now(),
      completionDate: null,
      failureDate: null,
      downloadTaskJson: JSON.stringify(task),
      emailLanguage: request.emailLanguage ?? null,
      status: 'queued',
      progress: 0,
      failureReason: null,
      mp4Filename,
      frameAccurate,
    });

    try {
      await this.dataSource.transaction(async (manager) => {
        await insertRow(manager, VodDownload, download);
        await insertRow(
          manager,
          VodDownloadClip,
          clips.map((clip, position) => ({
            downloadId: download.id,
            position,
            eventId: clip.eventId,
            startSeconds: ranges[position].startSeconds,
            endSeconds: ranges[position].endSeconds ?? null,
            placedBy: ranges[position].placedBy,
          })),
        );
        await this.enqueueProcessing(download, manager);
      });
    } catch (error) {
      // The unique index on contentId decides, also between two requests racing for one id.
      if (await this.downloads.existsBy({ contentId })) {
        throw new ConflictException(
          `A VOD download with contentId "${contentId}" exists already; choose another contentId`,
        );
      }
      throw error;
    }
    this.metrics.downloadCreated();
    return download;
  }

  findById(id: string): Promise<VodDownload | null> {
    return this.byId.findOne(id);
  }

  findByContentId(contentId: string): Promise<VodDownload | null> {
    return this.byContentId.findOne(contentId);
  }

  /**
   * The file of a completed download that has not expired, for `/downloads/<folder>/<file>`;
   * anything else is a 404, so a deleted or expired download's link stops working at once.
   * A file found valid is trusted for a moment (PublishedFileCache) without asking the database.
   * `expiresInMs` is counted from the clock reading the check used.
   */
  async publishedFile(folder: string, fileName: string): Promise<ServableFile> {
    const downloadPath = `downloads/${folder}/${fileName}`;
    const now = this.clock.now();
    let file = this.publishedFiles.fileFor(folder, downloadPath, now);
    if (!file) {
      file = await this.lookUpPublishedFile(downloadPath, now);
      this.publishedFiles.remember(folder, downloadPath, file, now);
    }
    return { path: file.path, expiresInMs: file.expiresAt.getTime() - now.getTime() };
  }

  private async lookUpPublishedFile(downloadPath: string, now: Date): Promise<PublishedFile> {
    const download = await this.byDownloadPath.findOne(downloadPath);
    if (
      !download ||
      download.status !== 'completed' ||
      !download.completionDate ||
      hasExpired(download.completionDate, this.config.downloadExpiryDays, now)
    ) {
      throw new NotFoundException(NO_SUCH_DOWNLOAD);
    }
    return {
      path: this.store.fileToServe(download.downloadPath),
      expiresAt: expiresAt(download.completionDate, this.config.downloadExpiryDays),
    };
  }

  /** Newest first. */
  list(page: Page, eventId?: string): Promise<VodDownload[]> {
    return this.downloads.find({
      where: eventId === undefined ? {} : { eventId },
      order: { creationDate: 'DESC', id: 'ASC' },
      take: page.limit,
      skip: page.offset,
    });
  }

  /** Runs a download again from scratch. */
  async retry(selector: DownloadSelector): Promise<VodDownload> {
    const retried = await this.dataSource.transaction(async (manager) => {
      const download = await manager.findOneBy(VodDownload, selector);
      if (!download) throw new NotFoundException(`No VOD download has ${describe(selector)}`);
      if (download.status === 'queued' || download.status === 'processing') {
        throw new ConflictException(
          `The download is ${download.status} already; retry it once it has completed or failed`,
        );
      }
      Object.assign(download, {
        status: 'queued',
        progress: 0,
        completionDate: null,
        failureDate: null,
        failureReason: null,
      });
      await manager.save(download);
      // Removed before the commit lets a worker publish the new one; nginx sends files from disk,
      // so the old one must be gone for its link to answer 404 at once there too.
      await this.store.unpublish(download.downloadPath);
      await this.enqueueProcessing(download, manager);
      return download;
    });
    this.publishedFiles.forget(folderNameFor(retried.contentId));
    return retried;
  }

  /** Deletes one download (cancelling it if it is running); false when there is none. */
  async delete(selector: DownloadSelector): Promise<boolean> {
    const download = await this.downloads.findOneBy(selector);
    if (download) await this.deleteAll([download]);
    return download !== null;
  }

  /** Deletes every download of the event, expired or not; returns how many. */
  async deleteForEvent(eventId: string): Promise<number> {
    return this.deleteInBatches(() =>
      this.downloads.find({ select: { id: true, contentId: true }, where: { eventId }, take: DELETE_BATCH_SIZE }),
    );
  }

  /**
   * Deletes every download whose expiry (DOWNLOAD_EXPIRY_DAYS after completion, or after failure
   * or creation when it never completed) plus `bufferDays` lies before `now`. Works in batches, so
   * any number of expired downloads fits in bounded memory; returns how many were deleted.
   */
  async deleteExpired(bufferDays = 0, now = this.clock.now()): Promise<number> {
    const cutoff = expiredBefore(now, this.config.downloadExpiryDays, bufferDays);
    return this.deleteInBatches(() =>
      this.downloads
        .createQueryBuilder('download')
        .select(['download.id', 'download.contentId'])
        .where('COALESCE(download.completionDate, download.failureDate, download.creationDate) < :cutoff', { cutoff })
        .take(DELETE_BATCH_SIZE)
        .getMany(),
    );
  }

  /** The seed's JSON object: ISO dates, and the download URL once the file is complete. */
  toResponse(download: VodDownload): VodDownloadResponseDto {
    return {
      id: download.id,
      contentId: download.contentId,
      eventId: download.eventId,
      downloadPath: download.downloadPath,
      emailAddress: download.emailAddress,
      creationDate: download.creationDate.toISOString(),
      completionDate: download.completionDate?.toISOString() ?? null,
      failureDate: download.failureDate?.toISOString() ?? null,
      downloadUrl: download.status === 'completed' ? downloadUrlOf(download, this.config) : null,
      downloadTaskJson: download.downloadTaskJson,
      emailLanguage: download.emailLanguage,
      status: download.status,
      progress: download.progress,
      failureReason: download.failureReason,
      mp4Filename: download.mp4Filename,
      frameAccurate: download.frameAccurate,
      cutMethod: download.cutMethod ?? null,
    };
  }

  /** Checks a clip against its event and places its times in the event's source. */
  private resolveClip(clip: DownloadClipDto, index: number, event: RecordedEvent | undefined): PlacedClipRange {
    const where = `downloadClips[${index}]`;
    if (!event) throw new InvalidRequestError(`${where}.eventId: no event ${clip.eventId} is registered`);
    const range = checkWithin(where, () => resolveClipRange(clip.start, clip.end, event));
    const filter = clip.filter;
    if (filter) checkWithin(`${where}.filter`, () => parseFilter(filter));
    return range;
  }

  private chooseFileName(
    requested: string | null | undefined,
    masterEvent: RecordedEvent | undefined,
    contentId: string,
  ): string {
    if (requested) return toSafeMp4FileName(requested);
    const fromTitle = masterEvent ? toSafeFileStem(masterEvent.title) : '';
    return `${fromTitle || toSafeFileStem(contentId) || 'download'}.mp4`;
  }

  private enqueueProcessing(download: VodDownload, manager: EntityManager): Promise<void> {
    return this.jobs.enqueue('vod-download.process', download.id, { downloadId: download.id }, { manager });
  }

  private async deleteInBatches(nextBatch: () => Promise<Pick<VodDownload, 'id' | 'contentId'>[]>): Promise<number> {
    let deleted = 0;
    for (let batch = await nextBatch(); batch.length > 0; batch = await nextBatch()) {
      await this.deleteAll(batch);
      deleted += batch.length;
    }
    return deleted;
  }

  /** Cancels the downloads' jobs and removes their rows in one transaction, then their files. */
  private async deleteAll(downloads: Pick<VodDownload, 'id' | 'contentId'>[]): Promise<void> {
    const ids = downloads.map((download) => download.id);
    await this.dataSource.transaction(async (manager) => {
      await this.jobs.cancel('vod-download.process', ids, manager);
      await manager.delete(VodDownload, { id: In(ids) });
    });
    for (const download of downloads) this.publishedFiles.forget(folderNameFor(download.contentId));
    await Promise.all(
      downloads.map((download) =>
        this.store.removeFolder(download.contentId).catch((error: Error) => {
          this.logger.warn(`Could not remove the files of download ${download.id}: ${error.message}`);
        }),
      ),
    );
  }
}

/** The events whose clock the clips' instants need, each once. */
function eventsPlacingInstants(clips: DownloadClipDto[], events: Map<string, RecordedEvent>): RecordedEvent[] {
  const timed = clips.filter((clip) => isInstant(clip.start) || isInstant(clip.end));
  return [...new Set(timed.map((clip) => events.get(clip.eventId)).filter((event) => event !== undefined))];
}

function describe(selector: DownloadSelector): string {
  return 'id' in selector ? `id ${selector.id}` : `contentId ${selector.contentId}`;
}
