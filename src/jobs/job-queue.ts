import type { EntityManager } from 'typeorm';
import { JOB_NAMES, type JobDataByName, type JobName } from './job-types.js';

export interface JobContext {
  /** The job's id in the queue, for logs. */
  jobId: string;
  /** Aborted when the job is cancelled or the process shuts down; stop work promptly. */
  signal: AbortSignal;
  /** 1 on the first run. */
  attempt: number;
}

export type JobHandler<N extends JobName> = (data: JobDataByName[N], context: JobContext) => Promise<void>;

export interface JobHandlerOptions {
  /** How many jobs of this name one process runs at once. */
  concurrency: number;
  /** Runs before the job is marked failed; a handler records domain failures itself and returns. */
  maxAttempts: number;
  /** First retry delay; each further retry doubles it. */
  backoffMs: number;
}

export interface EnqueueOptions {
  /** Enqueue inside the caller's transaction, so the job exists exactly when the caller's rows do. */
  manager?: EntityManager;
  delayMs?: number;
}

/** Why a job's signal was aborted. */
export const JOB_CANCELLED = 'job-cancelled';
export const WORKER_SHUTDOWN = 'worker-shutdown';

/**
 * Durable background work. The database implementation is the default; a BullMQ one can take
 * its place for deployments with several worker processes on Redis.
 */
export abstract class JobQueue {
  abstract registerHandler<N extends JobName>(name: N, handler: JobHandler<N>, options: JobHandlerOptions): void;

  abstract enqueue<N extends JobName>(
    name: N,
    key: string,
    data: JobDataByName[N],
    options?: EnqueueOptions,
  ): Promise<void>;

  /** Removes the pending jobs for these keys and aborts running ones, in this process or another. */
  abstract cancel(name: JobName, keys: string[], manager?: EntityManager): Promise<void>;

  /** Jobs of this name not yet finished: queued, waiting for a retry, or running. */
  abstract countPending(name: JobName): Promise<number>;
}

/** Every job name has exactly one handler: a second registration of a name is refused at once. */
export function checkNotYetRegistered(registered: ReadonlyMap<JobName, unknown>, name: JobName): void {
  if (registered.has(name)) throw new Error(`Job "${name}" has two handlers`);
}

/** A job name left without a handler stops the service at start. */
export function checkEveryJobRegistered(registered: ReadonlyMap<JobName, unknown>): void {
  const missing = JOB_NAMES.filter((name) => !registered.has(name));
  if (missing.length > 0) throw new Error(`No handler registered for job(s): ${missing.join(', ')}`);
}
