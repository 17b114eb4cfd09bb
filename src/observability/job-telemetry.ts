import { Injectable } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { JOB_CANCELLED, type JobContext, type JobHandler, WORKER_SHUTDOWN } from '../jobs/job-queue.js';
import type { JobDataByName, JobName } from '../jobs/job-types.js';
import { type JobOutcome, Metrics } from './metrics.js';

/**
 * What every log line of a job run carries: the job's kind, id and attempt, and the download or
 * distribution job it serves.
 */
export function jobLogBindings(name: JobName, data: JobDataByName[JobName], context: JobContext): object {
  const served =
    'downloadId' in data ? { downloadId: data.downloadId } : 'jobId' in data ? { distributionJobId: data.jobId } : {};
  return { job: { kind: name, id: context.jobId, attempt: context.attempt }, ...served };
}

/** How a run ended, from what the handler did and why its signal was aborted (the queue settles it the same way). */
export function jobOutcome(signal: AbortSignal, threw: boolean): JobOutcome {
  if (signal.aborted && signal.reason === WORKER_SHUTDOWN) return 'handed_back';
  if (signal.aborted && signal.reason === JOB_CANCELLED) return 'cancelled';
  return threw ? 'failed' : 'completed';
}

/**
 * Wraps job handlers where the features register them, so whichever queue runs them (the
 * database's or BullMQ), each run logs in its job's context and is timed by kind and outcome.
 */
@Injectable()
export class JobTelemetry {
  constructor(
    private readonly logger: PinoLogger,
    private readonly metrics: Metrics,
  ) {}

  observe<N extends JobName>(name: N, handler: JobHandler<N>): JobHandler<N> {
    return (data, context) =>
      this.logger.runInContext(() => this.timed(name, handler, data, context), {
        bindings: jobLogBindings(name, data, context),
      });
  }

  private async timed<N extends JobName>(
    name: N,
    handler: JobHandler<N>,
    data: JobDataByName[N],
    context: JobContext,
  ): Promise<void> {
    const started = performance.now();
    let threw = true;
    try {
      await handler(data, context);
      threw = false;
    } finally {
      this.metrics.observeJob(name, jobOutcome(context.signal, threw), (performance.now() - started) / 1000);
    }
  }
}
