import { Global, Module } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { AfterCommit } from './after-commit.js';
import { BullmqJobQueue } from './bullmq-job-queue.js';
import { DatabaseJobQueue } from './database-job-queue.js';
import { JobQueue } from './job-queue.js';
import { JobRetention } from './job-retention.js';
import { RedisConnection } from './redis-connection.js';
import { RedisSchedules } from './redis-schedules.js';
import { ScheduleClaims } from './schedule-claims.js';

/** BullMQ on Redis when REDIS_URL is set; the embedded database queue otherwise. */
function createJobQueue(dataSource: DataSource, config: AppConfig, redis: RedisConnection): JobQueue {
  return redis.enabled
    ? new BullmqJobQueue(dataSource, config, redis, new AfterCommit(dataSource))
    : new DatabaseJobQueue(dataSource, config);
}

@Global()
@Module({
  providers: [
    RedisConnection,
    { provide: JobQueue, useFactory: createJobQueue, inject: [getDataSourceToken(), AppConfig, RedisConnection] },
    ScheduleClaims,
    RedisSchedules,
    JobRetention,
  ],
  exports: [JobQueue, ScheduleClaims, RedisConnection, RedisSchedules, JobRetention],
})
export class JobsModule {}
