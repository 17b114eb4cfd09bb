import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { AppConfig } from '../config/app-config.js';
import { RedisSchedules } from '../jobs/redis-schedules.js';
import { ScheduleClaims } from '../jobs/schedule-claims.js';
import { VodDownloadService } from './vod-download.service.js';

export const CLEANUP_JOB_NAME = 'vod-download-cleanup';

/**
 * Deletes expired downloads on CLEANUP_CRON, as `DELETE /voddownload/?buffer=0` does: once per
 * tick across all processes sharing the database (a BullMQ job scheduler with Redis). A run that is still going when the next tick
 * comes makes that tick a no-op.
 */
@Injectable()
export class VodDownloadCleanup implements OnApplicationBootstrap {
  private readonly logger = new Logger(VodDownloadCleanup.name);
  private running: Promise<number> | undefined;

  constructor(
    private readonly downloads: VodDownloadService,
    private readonly scheduler: SchedulerRegistry,
    private readonly claims: ScheduleClaims,
    private readonly redisSchedules: RedisSchedules,
    private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.redisSchedules.enabled) {
      await this.redisSchedules.schedule(CLEANUP_JOB_NAME, this.config.cleanupCron, () => this.run());
    }
    if (!this.config.cleanupCron) {
      this.logger.log('CLEANUP_CRON is off: expired downloads are deleted only through DELETE /voddownload/');
      return;
    }
    if (this.redisSchedules.enabled) return;
    const job = CronJob.from({
      cronTime: this.config.cleanupCron,
      onTick: () => void this.runScheduled(),
      utcOffset: 0,
    });
    this.scheduler.addCronJob(CLEANUP_JOB_NAME, job);
    job.start();
  }

  private async runScheduled(): Promise<void> {
    if (await this.claims.claim(CLEANUP_JOB_NAME, new Date())) await this.run();
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
