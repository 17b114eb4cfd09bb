import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { CronJob } from 'cron';
import { DataSource, LessThan } from 'typeorm';
import { addDays } from '../common/days.js';
import { RedisSchedules } from './redis-schedules.js';
import { ScheduleClaim } from './schedule-claim.entity.js';

const KEEP_CLAIMS_DAYS = 7;

/**
 * Every process runs the same cron schedules; before acting on a tick, a process claims it, and
 * only the one whose claim lands runs it. So a schedule runs once per tick however many API and
 * worker processes share the database.
 */
@Injectable()
export class ScheduleClaims {
  private readonly logger = new Logger(ScheduleClaims.name);
  private readonly processId = `${process.pid}-${randomUUID().slice(0, 8)}`;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly scheduler: SchedulerRegistry,
    private readonly redisSchedules: RedisSchedules,
  ) {}

  /**
   * Runs `task` on `cronTime` (UTC) once per tick across every process: on a BullMQ job scheduler
   * when Redis is set, else in the process whose claim of the tick lands in the database. A tick
   * that comes while this process still runs the task is skipped, so a slow run never overlaps
   * the next. A null `cronTime` schedules nothing (and removes the schedule from Redis).
   */
  async schedule(name: string, cronTime: string | null, task: () => Promise<unknown>): Promise<void> {
    let running = false;
    const runOnce = async () => {
      if (running) return;
      running = true;
      try {
        await task();
      } catch (error) {
        this.logger.error(`Scheduled "${name}" failed: ${(error as Error).message}`);
      } finally {
        running = false;
      }
    };
    if (this.redisSchedules.enabled) return this.redisSchedules.schedule(name, cronTime, runOnce);
    if (!cronTime) return;
    const job = CronJob.from({
      cronTime,
      onTick: async () => {
        if (await this.claim(name, new Date()).catch(() => false)) await runOnce();
      },
      utcOffset: 0,
    });
    this.scheduler.addCronJob(name, job);
    job.start();
  }

  /** True when this process is the one to run `name` for the tick at `scheduledAt`. */
  async claim(name: string, scheduledAt: Date): Promise<boolean> {
    const tick = new Date(Math.floor(scheduledAt.getTime() / 1000) * 1000);
    try {
      await this.dataSource.manager.insert(ScheduleClaim, { name, scheduledAt: tick, claimedBy: this.processId });
    } catch (error) {
      if (await this.dataSource.manager.existsBy(ScheduleClaim, { name, scheduledAt: tick })) return false;
      throw error;
    }
    await this.dataSource.manager.delete(ScheduleClaim, {
      name,
      scheduledAt: LessThan(addDays(tick, -KEEP_CLAIMS_DAYS)),
    });
    return true;
  }
}
