import { randomUUID } from 'node:crypto';
import { mkdir, statfs, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Injectable, Logger } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { RedisConnection } from '../jobs/redis-connection.js';
import { Ffmpeg } from '../media/ffmpeg.js';

const CHECK_TIMEOUT_MS = 3_000;
/** Spawning ffmpeg and ffprobe costs tens of milliseconds; their presence does not change from one probe to the next. */
const TOOLS_CACHE_MS = 60_000;

/**
 * What a process needs to do its work, each as a terminus check. Failures say what is wrong in
 * words an operator can act on; driver errors (hosts, files, users) go to the log only.
 */
@Injectable()
export class ReadinessChecks {
  private readonly logger = new Logger(ReadinessChecks.name);

  constructor(
    private readonly health: HealthIndicatorService,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ffmpeg: Ffmpeg,
    private readonly config: AppConfig,
    private readonly redis: RedisConnection,
  ) {}

  /** With REDIS_URL: Redis answers PING (the queues and the Digest nonces live there). */
  get redisEnabled(): boolean {
    return this.redis.enabled;
  }

  redisAnswers() {
    return this.health
      .check('redis')
      .attempt(async () => {
        await this.logged('Redis does not answer', () => this.redis.client().ping());
      })
      .withTimeout(CHECK_TIMEOUT_MS);
  }

  database() {
    return this.health
      .check('database')
      .attempt(async () => {
        await this.logged('The database does not answer', () => this.dataSource.query('SELECT 1'));
      })
      .withTimeout(CHECK_TIMEOUT_MS);
  }

  /** DATA_DIR takes a file, and has at least MIN_FREE_DISK_BYTES free. */
  dataDir() {
    const directory = this.config.dataDir;
    const minFreeBytes = this.config.minFreeDiskBytes;
    return this.health
      .check('dataDir')
      .attempt(async () => {
        await this.logged('DATA_DIR is not writable', async () => {
          const probe = join(directory, `.health-${randomUUID()}`);
          await mkdir(directory, { recursive: true });
          await writeFile(probe, '');
          await unlink(probe);
        });
        const stats = await statfs(directory);
        const freeBytes = stats.bavail * stats.bsize;
        if (freeBytes < minFreeBytes) {
          throw new Error(`DATA_DIR has ${freeBytes} bytes free, less than MIN_FREE_DISK_BYTES=${minFreeBytes}`);
        }
        return { freeBytes, minFreeBytes };
      })
      .withTimeout(CHECK_TIMEOUT_MS);
  }

  ffmpegTools() {
    return this.health
      .check('ffmpeg')
      .attempt(async () => ({ versions: await this.ffmpeg.versions() }))
      .withTimeout(CHECK_TIMEOUT_MS)
      .cacheFor(TOOLS_CACHE_MS);
  }

  private async logged<T>(summary: string, step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      this.logger.error(`${summary}: ${(error as Error).message}`);
      throw new Error(summary);
    }
  }
}
