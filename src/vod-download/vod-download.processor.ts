import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import { Clock } from '../common/clock.js';
import { AppConfig } from '../config/app-config.js';
import { EventsService } from '../events/events.service.js';
import type { RecordedEvent } from '../events/recorded-event.entity.js';
import { JOB_CANCELLED, JobQueue, WORKER_SHUTDOWN } from '../jobs/job-queue.js';
import { MediaCommandAborted } from '../media/ffmpeg.js';
import { MediaSources, SourceMissingError } from '../media/media-sources.js';
import { SourceProxy } from '../media/source-proxy.js';
import { JobTelemetry } from '../observability/job-telemetry.js';
import { Metrics } from '../observability/metrics.js';
import { SourceNotAllowedError } from '../security/source-not-allowed-error.js';
import { DownloadStore } from '../storage/download-store.js';
import { ClipRange, ClipTimeError, parseClipTime, resolveClipRange } from './clip-time.js';
import { DownloadCallbacks } from './download-callbacks.js';
import { DownloadMailer } from './download-mailer.js';
import { ClipRequest, DownloadRenderer, RenderError, RenderResult } from './download-renderer.js';
import type { DownloadTask, DownloadTaskClip } from './download-task.js';
import { VodDownloadClip } from './vod-download-clip.entity.js';
import { VodDownload } from './vod-download.entity.js';
import { VodDownloadService } from './vod-download.service.js';

const PROGRESS_WRITE_INTERVAL_MS = 500;

/**
 * Runs queued downloads: `queued → processing → completed | failed`. The task JSON is the whole
 * order, so a retry or a restart runs it again from scratch. The user is e-mailed and the task's
 * rest_endpoints are called back in the transaction that settles the download.
 */
@Injectable()
export class VodDownloadProcessor implements OnModuleInit {
  private readonly logger = new Logger(VodDownloadProcessor.name);

  constructor(
    private readonly jobs: JobQueue,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly events: EventsService,
    private readonly renderer: DownloadRenderer,
    private readonly store: DownloadStore,
    private readonly mailer: DownloadMailer,
    private readonly callbacks: DownloadCallbacks,
    private readonly downloads: VodDownloadService,
    private readonly proxy: SourceProxy,
    private readonly sources: MediaSources,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly telemetry: JobTelemetry,
    private readonly metrics: Metrics,
  ) {}

  onModuleInit(): void {
    this.jobs.registerHandler(
      'vod-download.process',
      this.telemetry.observe('vod-download.process', ({ downloadId }, { signal }) => this.process(downloadId, signal)),
      {
        concurrency: this.config.workerConcurrency,
        // Failures of the download itself are recorded on it; only an unreachable database makes the job retry.
        maxAttempts: 5,
        backoffMs: 5_000,
      },
    );
  }

  async process(downloadId: string, signal: AbortSignal): Promise<void> {
    const manager = this.dataSource.manager;
    // A download left `processing` by a process that died is taken up again from scratch.
    const started = await manager.update(
      VodDownload,
      { id: downloadId, status: In(['queued', 'processing']) },
      { status: 'processing', progress: 0, failureReason: null },
    );
    if (started.affected === 0) return; // deleted, or settled some other way
    const download = await manager.findOneByOrFail(VodDownload, { id: downloadId });
    const task = safeParse(download.downloadTaskJson);
    let outcome: Partial<VodDownload>;
    try {
      // A proxy session of its own: what is refused to this download is told in its failure only.
      const { cutMethod } = await this.proxy.withSession(() => this.make(download, task, signal));
      outcome = { status: 'completed', progress: 100, completionDate: this.clock.now(), cutMethod };
    } catch (error) {
      if (signal.aborted || error instanceof MediaCommandAborted) {
        await this.onStopped(download, signal.reason);
        throw error;
      }
      if (!(error instanceof RenderError))
        this.logger.error(`Download ${download.id} failed unexpectedly`, (error as Error).stack);
      outcome = { status: 'failed', failureDate: this.clock.now(), failureReason: failureReason(error) };
    } finally {
      // Before the download is settled: whoever sees it finished never sees its temporary files.
      await this.discardWork(download.id);
    }
    await this.settle(download, task, outcome);
  }

  /** Renders the download in a fresh work folder and publishes the MP4. */
  private async make(
    download: VodDownload,
    task: DownloadTask | undefined,
    signal: AbortSignal,
  ): Promise<RenderResult> {
    const work = await this.store.startWork(download.id);
    if (!task) throw new RenderError('The download task JSON cannot be read');
    const clips = await this.resolveClips(download, task.parameters.clips);
    const result = await this.renderer.render(
      { clips, frameAccurate: task.parameters.frame_accurate, output: work.output, workDir: work.dir },
      { signal, onProgress: this.progressWriter(download.id) },
    );
    await this.store.publish(work, download.downloadPath);
    return result;
  }

  /** Marks the download completed or failed, and queues its e-mail and callbacks in the same transaction. */
  private async settle(
    download: VodDownload,
    task: DownloadTask | undefined,
    outcome: Partial<VodDownload>,
  ): Promise<void> {
    const settled = await this.dataSource.transaction(async (manager: EntityManager) => {
      const result = await manager.update(VodDownload, { id: download.id, status: 'processing' }, outcome);
      if (result.affected === 0) return false;
      const updated = await manager.findOneByOrFail(VodDownload, { id: download.id });
      if (updated.status === 'completed') await this.mailer.notifyReady(updated, manager);
      else await this.mailer.notifyFailed(updated, manager);
      await this.callbacks.enqueue(task?.parameters.rest_endpoints ?? [], this.downloads.toResponse(updated), manager);
      return true;
    });
    if (settled) this.metrics.downloadSettled(outcome.status as 'completed' | 'failed');
    // Deleted while we finished: the delete may have removed the folder before the file arrived.
    if (!settled && outcome.status === 'completed') await this.store.removeFolder(download.contentId);
  }

  /** Never throws: a file that cannot be removed must not keep the download from being settled. */
  private async discardWork(downloadId: string): Promise<void> {
    await this.store
      .discardWork(downloadId)
      .catch((error: Error) =>
        this.logger.warn(`Could not remove the temporary files of download ${downloadId}: ${error.message}`),
      );
  }

  /** Shutdown hands the download back to the queue; a cancel (delete) has removed it already. */
  private async onStopped(download: VodDownload, reason: unknown): Promise<void> {
    if (reason === WORKER_SHUTDOWN) {
      await this.dataSource.manager.update(
        VodDownload,
        { id: download.id, status: 'processing' },
        { status: 'queued', progress: 0 },
      );
      this.logger.log(`Download ${download.id} stopped by shutdown; it stays queued`);
    } else if (reason === JOB_CANCELLED) {
      this.logger.log(`Download ${download.id} cancelled`);
    }
  }

  /** Each clip's source as ffmpeg may read it, and its times as offsets into the source. */
  private async resolveClips(download: VodDownload, clips: DownloadTaskClip[]): Promise<ClipRequest[]> {
    const placed = await this.dataSource.manager.find(VodDownloadClip, {
      where: { downloadId: download.id },
      order: { position: 'ASC' },
    });
    const requests: ClipRequest[] = [];
    for (const [n, clip] of clips.entries()) {
      try {
        const input = await this.sources.inputFor(clip.source);
        const stored = placed[n];
        const range: ClipRange = stored
          ? { startSeconds: stored.startSeconds, endSeconds: stored.endSeconds ?? undefined }
          : await this.placeByEventLookup(clip, download.eventId);
        requests.push({ input, label: clip.source, ...range, filter: clip.filter });
      } catch (error) {
        if (
          error instanceof SourceNotAllowedError ||
          error instanceof SourceMissingError ||
          error instanceof ClipTimeError ||
          error instanceof RenderError
        ) {
          throw new RenderError(`Clip ${n + 1} (${clip.source}): ${error.message}`);
        }
        throw error;
      }
    }
    return requests;
  }

  /**
   * Downloads created before their clips were stored with them (migration 1764200000000) name
   * only each clip's source; the event that places its instants is looked up by that source,
   * preferring the download's own event, then one whose time span holds the clip's start.
   */
  private async placeByEventLookup(clip: DownloadTaskClip, masterEventId: string): Promise<ClipRange> {
    if (!clip.start || parseClipTime(clip.start).kind !== 'instant') {
      return resolveClipRange(clip.start, clip.end, { startTime: null, duration: null });
    }
    const candidates = (await this.events.findBySourceUrl(clip.source)).filter((event) => event.startTime);
    if (candidates.length === 0) {
      throw new RenderError(
        'no registered event with a startTime has this source any more, so its instants cannot be placed',
      );
    }
    const at = new Date(clip.start).getTime();
    const holds = (event: RecordedEvent) =>
      event.startTime!.getTime() <= at &&
      (event.duration == null || at <= event.startTime!.getTime() + event.duration * 1000);
    const event = candidates.find((event) => event.id === masterEventId) ?? candidates.find(holds) ?? candidates[0];
    return resolveClipRange(clip.start, clip.end, event);
  }

  /** Writes whole percents, at most every PROGRESS_WRITE_INTERVAL_MS; 100 is for the completed download. */
  private progressWriter(downloadId: string): (fraction: number) => void {
    let written = 0;
    let lastWrite = 0;
    let writing = false;
    return (fraction) => {
      const percent = Math.min(99, Math.max(0, Math.floor(fraction * 100)));
      const now = Date.now();
      if (writing || percent <= written || now - lastWrite < PROGRESS_WRITE_INTERVAL_MS) return;
      writing = true;
      lastWrite = now;
      written = percent;
      this.dataSource.manager
        .update(VodDownload, { id: downloadId, status: 'processing' }, { progress: percent })
        .catch((error: Error) =>
          this.logger.warn(`Could not record the progress of download ${downloadId}: ${error.message}`),
        )
        .finally(() => (writing = false));
    };
  }
}

/** A RenderError's message is written for the requester; anything else may show internals (paths, SQL) and is only logged. */
function failureReason(error: unknown): string {
  if (error instanceof RenderError) return error.message;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return `An internal error stopped the download${typeof code === 'string' ? ` (${code})` : ''}; the details are in the server's log. Retry it, and tell the operator if it fails again.`;
}

function safeParse(json: string): DownloadTask | undefined {
  try {
    return JSON.parse(json) as DownloadTask;
  } catch {
    return undefined;
  }
}
