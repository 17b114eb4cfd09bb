import { Global, Module } from '@nestjs/common';
import { DatabaseJobQueue } from './database-job-queue.js';
import { JobQueue } from './job-queue.js';
import { JobRetention } from './job-retention.js';
import { ScheduleClaims } from './schedule-claims.js';

@Global()
@Module({
  providers: [{ provide: JobQueue, useClass: DatabaseJobQueue }, ScheduleClaims, JobRetention],
  exports: [JobQueue, ScheduleClaims, JobRetention],
})
export class JobsModule {}
