import { Global, Module } from '@nestjs/common';
import { DatabaseJobQueue } from './database-job-queue.js';
import { JobQueue } from './job-queue.js';

@Global()
@Module({
  providers: [{ provide: JobQueue, useClass: DatabaseJobQueue }],
  exports: [JobQueue],
})
export class JobsModule {}
