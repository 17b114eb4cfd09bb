import { setTimeout as sleep } from 'node:timers/promises';
import { GatewayTimeoutException, Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';

const FIRST_RETRY_MS = 50;
const MAX_RETRY_MS = 2000;
const REQUEST_TIMEOUT_MS = 10_000;

/** Confirms that published URLs answer, as Opencast's checkAvailability does, but within a bounded time. */
@Injectable()
export class AvailabilityChecker {
  constructor(private readonly config: AppConfig) {}

  /** Sends HEAD until the URL answers 200, retrying with backoff until DISTRIBUTION_AVAILABILITY_TIMEOUT_MS. */
  async waitUntilAvailable(url: string, signal?: AbortSignal): Promise<void> {
    const timeoutMs = this.config.distribution.availabilityTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    let delay = FIRST_RETRY_MS;
    let lastOutcome = 'no attempt';
    for (;;) {
      try {
        const response = await fetch(url, {
          method: 'HEAD',
          redirect: 'follow',
          signal: signal
            ? AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)])
            : AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        if (response.status === 200) return;
        lastOutcome = `HTTP ${response.status}`;
      } catch (error) {
        if (signal?.aborted) throw error;
        lastOutcome = (error as Error).message;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      await sleep(Math.min(delay, remaining), undefined, { signal });
      delay = Math.min(delay * 2, MAX_RETRY_MS);
    }
    throw new GatewayTimeoutException(
      `The published file ${url} did not answer HEAD with 200 within ${timeoutMs} ms (last: ${lastOutcome})`,
    );
  }
}
