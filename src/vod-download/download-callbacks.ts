import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { JobQueue } from '../jobs/job-queue.js';
import { JobTelemetry } from '../observability/job-telemetry.js';
import { isAllowedHost } from '../security/allowed-hosts.js';
import type { VodDownloadResponseDto } from './vod-download.dto.js';

const CALLBACK_TIMEOUT_MS = 15_000;

/**
 * Tells other systems that a download finished: a POST of the download object to each of its
 * task's `rest_endpoints`, each a retried job, so a slow or failing endpoint never holds up or
 * changes the download itself.
 */
@Injectable()
export class DownloadCallbacks implements OnModuleInit {
  private readonly logger = new Logger(DownloadCallbacks.name);

  constructor(
    private readonly jobs: JobQueue,
    private readonly config: AppConfig,
    private readonly telemetry: JobTelemetry,
  ) {}

  onModuleInit(): void {
    const post = this.telemetry.observe('vod-download.callback', ({ url, body }, { signal }) =>
      this.post(url, body, signal),
    );
    this.jobs.registerHandler('vod-download.callback', post, {
      concurrency: 2,
      maxAttempts: this.config.callbackMaxAttempts,
      backoffMs: this.config.callbackRetryDelayMs,
    });
  }

  /** The host of a callback URL a client asked for, checked before the download is accepted; null when allowed. */
  refusal(rawUrl: string): string | null {
    const url = new URL(rawUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return `${rawUrl} is not an http(s) URL`;
    if (isAllowedHost(url, this.config.callbackAllowedHosts)) return null;
    return `the host "${url.host}" of ${rawUrl} is not in CALLBACK_ALLOWED_HOSTS (${this.config.callbackAllowedHosts.join(', ') || 'empty'})`;
  }

  /** Enqueues the callbacks in the transaction that completes or fails the download. */
  async enqueue(urls: string[], body: VodDownloadResponseDto, manager: EntityManager): Promise<void> {
    for (const url of urls)
      await this.jobs.enqueue('vod-download.callback', body.id, { downloadId: body.id, url, body }, { manager });
  }

  private async post(url: string, body: object, signal: AbortSignal): Promise<void> {
    // Checked again when sending: the allowed hosts may have changed since the download was made.
    const refusal = this.refusal(url);
    if (refusal) {
      this.logger.warn(`Not calling back: ${refusal}`);
      return;
    }
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      redirect: 'error',
      signal: AbortSignal.any([signal, AbortSignal.timeout(CALLBACK_TIMEOUT_MS)]),
    });
    await response.body?.cancel();
    if (!response.ok) throw new Error(`POST ${url} answered ${response.status} ${response.statusText}`);
  }
}
