import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, LessThan } from 'typeorm';
import { ScheduleClaim } from './schedule-claim.entity.js';

const KEEP_CLAIMS_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * Every process runs the same cron schedules; before acting on a tick, a process claims it, and
 * only the one whose claim lands runs it. So a schedule runs once per tick however many API and
 * worker processes share the database.
 */
@Injectable()
export class ScheduleClaims {
  private readonly processId = `${process.pid}-${randomUUID().slice(0, 8)}`;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

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
      scheduledAt: LessThan(new Date(tick.getTime() - KEEP_CLAIMS_MS)),
    });
    return true;
  }
}
