import { Injectable } from '@nestjs/common';

/**
 * The one source of business time: creation and completion dates and expiry read it, so tests
 * can move time. Job leases and retries run on wall time: moving the business clock must never
 * make a running job look abandoned.
 */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}
