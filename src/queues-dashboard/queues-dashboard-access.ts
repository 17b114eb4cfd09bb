import { NotFoundException, UnauthorizedException } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { apiKeyDigest, isOneOfKeys, presentedKey } from '../common/api-key.guard.js';
import type { AppConfig } from '../config/app-config.js';

/**
 * Guards the dashboard's Express router, which Nest's global ApiKeyGuard never sees (guards run
 * for Nest routes only): it needs an API key whenever API_KEYS is set, and without Redis there
 * is no dashboard at all.
 */
export function queuesDashboardAccess(config: AppConfig) {
  const keyDigests = config.apiKeys.map(apiKeyDigest);
  return (request: Request, _response: Response, next: NextFunction): void => {
    if (!config.redisUrl) throw new NotFoundException(`Cannot ${request.method} ${request.originalUrl}`);
    const presented = presentedKey(request);
    if (keyDigests.length > 0 && !isOneOfKeys(presented, keyDigests)) {
      throw new UnauthorizedException(
        presented === undefined
          ? 'An API key is required: send "Authorization: Bearer <key>" or "X-API-Key: <key>"'
          : 'The API key is not valid',
      );
    }
    next();
  };
}
