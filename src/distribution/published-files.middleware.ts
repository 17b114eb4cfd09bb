import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { AppConfig } from '../config/app-config.js';
import {
  publishedSegments,
  redirectPublishedFile,
  sendPublishedFile,
  type PublishedFileHandler,
} from '../storage/file-serving.js';

/** The path published distribution files are served under (DISTRIBUTION_BASE_URL's default). */
export const PUBLISHED_FILES_PATH = '/static';

/**
 * `/static/…`: the files /distribution/download published, open to all (bound to GET, which Express
 * also routes HEAD to), with Range requests, no listings, temporary files (dotfiles) hidden; behind
 * nginx (DOWNLOAD_ACCEL_REDIRECT) checked and answered with an X-Accel-Redirect. Anything else is
 * the 404 of a path nobody serves.
 * A Nest middleware, so that these requests are logged and timed like every other.
 */
@Injectable()
export class PublishedFilesMiddleware implements NestMiddleware {
  private readonly answer: PublishedFileHandler;

  constructor(config: AppConfig) {
    const root = config.distribution.directory;
    this.answer = config.accelRedirectPrefix
      ? redirectPublishedFile(root, config.accelRedirectPrefix)
      : sendPublishedFile(root);
  }

  use(request: Request, response: Response, next: NextFunction): void {
    if (!request.path.startsWith(`${PUBLISHED_FILES_PATH}/`)) return next();
    const segments = publishedSegments(request.path.slice(PUBLISHED_FILES_PATH.length));
    if (!segments) return next();
    this.answer(request, response, next, segments);
  }
}
