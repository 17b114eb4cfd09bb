import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** How a job run ended, as its duration is labelled. */
export type JobOutcome = 'completed' | 'failed' | 'cancelled' | 'handed_back';
export type DistributionOutcome = 'finished' | 'failed';

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const LONG_SECONDS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

/**
 * The service's Prometheus metrics, one registry per application (tests run several in one
 * process). Features report through the intent-named methods; GET /metrics renders them.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  private readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests by method, route (as declared) and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: SECONDS,
    registers: [this.registry],
  });
  private readonly jobDuration = new Histogram({
    name: 'media_delivery_job_duration_seconds',
    help: 'Job runs by kind and outcome (completed, failed, cancelled, handed_back at shutdown)',
    labelNames: ['kind', 'outcome'] as const,
    buckets: LONG_SECONDS,
    registers: [this.registry],
  });
  private readonly cutDuration = new Histogram({
    name: 'media_delivery_ffmpeg_cut_seconds',
    help: 'Wall time of cutting one clip, by cut method (copy, smart, reencode)',
    labelNames: ['method'] as const,
    buckets: LONG_SECONDS,
    registers: [this.registry],
  });
  private readonly cutRealtimeFactor = new Histogram({
    name: 'media_delivery_ffmpeg_realtime_factor',
    help: 'Seconds of media cut per second of wall time, by cut method',
    labelNames: ['method'] as const,
    buckets: [0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500],
    registers: [this.registry],
  });
  private readonly downloadsCreated = this.counter('media_delivery_downloads_created_total', 'VOD downloads accepted');
  private readonly downloadsCompleted = this.counter(
    'media_delivery_downloads_completed_total',
    'VOD downloads completed',
  );
  private readonly downloadsFailed = this.counter('media_delivery_downloads_failed_total', 'VOD downloads failed');
  private readonly downloadBytes = this.counter(
    'media_delivery_download_bytes_served_total',
    'Bytes of finished downloads sent in complete responses from /downloads',
  );
  private readonly emails = new Counter({
    name: 'media_delivery_emails_total',
    help: 'E-mails by outcome: sent, or failed for good after their last attempt',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly distributionJobs = new Counter({
    name: 'media_delivery_distribution_jobs_total',
    help: 'Opencast distribution jobs ended, by operation and outcome',
    labelNames: ['operation', 'outcome'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  observeHttpRequest(method: string, route: string, status: number, seconds: number): void {
    this.httpDuration.observe({ method, route, status: String(status) }, seconds);
  }

  observeJob(kind: string, outcome: JobOutcome, seconds: number): void {
    this.jobDuration.observe({ kind, outcome }, seconds);
  }

  /**
   * Times one clip's cut (wall time and realtime factor by method); `methodOf` names the method that
   * made it (a smart cut may fall back to a re-encode).
   */
  async timeCut<T>(mediaSeconds: number, cut: () => Promise<T>, methodOf: (result: T) => string): Promise<T> {
    const started = performance.now();
    const result = await cut();
    const seconds = (performance.now() - started) / 1000;
    const method = methodOf(result);
    this.cutDuration.observe({ method }, seconds);
    if (seconds > 0 && mediaSeconds > 0) this.cutRealtimeFactor.observe({ method }, mediaSeconds / seconds);
    return result;
  }

  downloadCreated(): void {
    this.downloadsCreated.inc();
  }

  downloadSettled(status: 'completed' | 'failed'): void {
    (status === 'completed' ? this.downloadsCompleted : this.downloadsFailed).inc();
  }

  downloadBytesServed(bytes: number): void {
    this.downloadBytes.inc(bytes);
  }

  emailSettled(outcome: 'sent' | 'failed'): void {
    this.emails.inc({ outcome });
  }

  distributionJobEnded(operation: string, outcome: DistributionOutcome): void {
    this.distributionJobs.inc({ operation, outcome });
  }

  private counter(name: string, help: string): Counter {
    return new Counter({ name, help, registers: [this.registry] });
  }
}
