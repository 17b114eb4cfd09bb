import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { SIGNED_LINK_SEGMENT } from '../storage/signed-link.js';
import { routeOf } from './logger-params.js';
import { Metrics } from './metrics.js';

const DOWNLOAD_FILE_ROUTE = new RegExp(`^(/${SIGNED_LINK_SEGMENT})?/downloads/`);

/** Times every request by route and status; counts the bytes of download files Node itself sent. */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  constructor(private readonly metrics: Metrics) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const started = performance.now();
    res.once('finish', () => {
      const route = routeOf(req);
      this.metrics.observeHttpRequest(req.method, route, res.statusCode, (performance.now() - started) / 1000);
      if (DOWNLOAD_FILE_ROUTE.test(route) && req.method === 'GET') this.countFileBytes(res);
    });
    next();
  }

  /** A complete 200 or 206 sent its Content-Length; a web server sending the file (X-Accel-Redirect) is not counted here. */
  private countFileBytes(res: Response): void {
    if (res.statusCode !== 200 && res.statusCode !== 206) return;
    if (res.getHeader('X-Accel-Redirect') !== undefined) return;
    const length = Number(res.getHeader('Content-Length'));
    if (Number.isFinite(length) && length > 0) this.metrics.downloadBytesServed(length);
  }
}
