import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import {
  BullBoardModule,
  InjectBullBoard,
  type BullBoardInstance,
  type BullBoardModuleOptions,
} from '@bull-board/nestjs';
import { Injectable, Module, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { BullmqJobQueue } from '../jobs/bullmq-job-queue.js';
import { JobQueue } from '../jobs/job-queue.js';
import { queuesDashboardAccess } from './queues-dashboard-access.js';

export const QUEUES_DASHBOARD_ROUTE = '/queues';

/** Shows the BullMQ queues on the dashboard once they exist (after Redis was checked at start). */
@Injectable()
class QueuesDashboard implements OnApplicationBootstrap {
  constructor(
    @InjectBullBoard() private readonly board: BullBoardInstance,
    private readonly jobs: JobQueue,
  ) {}

  onApplicationBootstrap(): void {
    if (!(this.jobs instanceof BullmqJobQueue)) return;
    this.board.replaceQueues(this.jobs.allQueues().map((queue) => new BullMQAdapter(queue)));
  }
}

/** With Redis, bull-board at /queues for operators: the queues, their jobs, retries and failures. */
@Module({
  imports: [
    BullBoardModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        route: QUEUES_DASHBOARD_ROUTE,
        // @bull-board/express brings its own copy of @bull-board/api, whose types differ only nominally.
        adapter: ExpressAdapter as unknown as BullBoardModuleOptions['adapter'],
        middleware: queuesDashboardAccess(config),
      }),
    }),
  ],
  providers: [QueuesDashboard],
})
export class QueuesDashboardModule {}
