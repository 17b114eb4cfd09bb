import { Global, Module } from '@nestjs/common';
import { DatabaseJobQueue } from './database-job-queue.js';
import { JobQueue } from './job-queue.js';
import { ScheduleClaims } from './schedule-claims.js';

@Global()
@Module({
  providers: [{ provide: JobQueue, useClass: DatabaseJobQueue }, ScheduleClaims],
  exports: [JobQueue, ScheduleClaims],
})
export class JobsModule {}
