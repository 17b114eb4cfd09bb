import { createHash, timingSafeEqual } from 'node:crypto';
import { CanActivate, ExecutionContext, Injectable, Logger, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AppConfig } from '../config/app-config.js';
import { IS_PUBLIC } from './public.decorator.js';

/**
 * With API_KEYS set, every route not marked @Public needs `Authorization: Bearer <key>` or
 * `X-API-Key: <key>`. Keys are compared as SHA-256 digests in constant time.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keyDigests: Buffer[];

  constructor(
    private readonly reflector: Reflector,
    config: AppConfig,
  ) {
    this.keyDigests = config.apiKeys.map(digest);
    if (this.keyDigests.length === 0) {
      new Logger(ApiKeyGuard.name).warn('API_KEYS is not set: the API is open to anyone who can reach it');
    }
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.keyDigests.length === 0) return true;
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const request = context.switchToHttp().getRequest<Request>();
    const presented = presentedKey(request);
    if (presented !== undefined) {
      const presentedDigest = digest(presented);
      // Compare against every key, so the time taken does not reveal which one matched.
      let matched = false;
      for (const key of this.keyDigests) matched = timingSafeEqual(key, presentedDigest) || matched;
      if (matched) return true;
    }
    throw new UnauthorizedException(
      presented === undefined
        ? 'An API key is required: send "Authorization: Bearer <key>" or "X-API-Key: <key>"'
        : 'The API key is not valid',
    );
  }
}

function presentedKey(request: Request): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header !== '') return header;
  const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '');
  return bearer?.[1]?.trim();
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}
