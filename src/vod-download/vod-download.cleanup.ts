import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { ScheduleClaims } from '../jobs/schedule-claims.js';
import { VodDownloadService } from './vod-download.service.js';

export const CLEANUP_JOB_NAME = 'vod-download-cleanup';

/**
 * Deletes expired downloads on CLEANUP_CRON, as `DELETE /voddownload/?buffer=0` does: once per
 * tick across all processes sharing the database. A run that is still going when the next tick
 * comes makes that tick a no-op.
 */
@Injectable()
export class VodDownloadCleanup implements OnApplicationBootstrap {
  private readonly logger = new Logger(VodDownloadCleanup.name);
  private running: Promise<number> | undefined;

  constructor(
    private readonly downloads: VodDownloadService,
    private readonly claims: ScheduleClaims,
    private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.cleanupCron) {
      this.logger.log('CLEANUP_CRON is off: expired downloads are deleted only through DELETE /voddownload/');
    }
    await this.claims.schedule(CLEANUP_JOB_NAME, this.config.cleanupCron, () => this.run());
  }

  /** Runs one cleanup unless one is under way; resolves to how many downloads it deleted. */
  async run(): Promise<number> {
    if (this.running) return 0;
    this.running = this.downloads.deleteExpired();
    try {
      const deleted = await this.running;
      this.logger.log(`Cleanup deleted ${deleted} expired download(s)`);
      return deleted;
    } catch (error) {
      this.logger.error(`Cleanup failed: ${(error as Error).message}`);
      return 0;
    } finally {
      this.running = undefined;
    }
  }
}
