import { createHash, timingSafeEqual } from 'node:crypto';
import { CanActivate, ExecutionContext, Injectable, Logger, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { AppConfig } from '../config/app-config.js';
import { DigestAuthenticator } from './digest-authenticator.js';
import { ACCEPTS_OPENCAST_DIGEST, IS_PUBLIC } from './public.decorator.js';

/** How the API documentation describes a 401 on a protected route. */
export const API_KEY_REQUIRED =
  'API_KEYS is set and the request carries no valid key (or, on Opencast routes, no valid Digest credentials)';

/**
 * With API_KEYS set, every route not marked @Public needs `Authorization: Bearer <key>` or
 * `X-API-Key: <key>`. Keys are compared as SHA-256 digests in constant time. With
 * OPENCAST_DIGEST_USER set, routes marked @AcceptsOpencastDigest also accept that user by HTTP
 * Digest and challenge callers without valid credentials.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keyDigests: Buffer[];

  constructor(
    private readonly reflector: Reflector,
    config: AppConfig,
    private readonly digestAuthenticator: DigestAuthenticator,
  ) {
    this.keyDigests = config.apiKeys.map(apiKeyDigest);
    if (this.keyDigests.length === 0) {
      new Logger(ApiKeyGuard.name).warn(
        digestAuthenticator.enabled
          ? 'API_KEYS is not set: apart from the Opencast paths (Digest), the API is open to anyone who can reach it'
          : 'API_KEYS is not set: the API is open to anyone who can reach it',
      );
    }
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Request>();
    const targets = [context.getHandler(), context.getClass()];
    const digestApplies =
      this.digestAuthenticator.enabled &&
      Boolean(this.reflector.getAllAndOverride<boolean>(ACCEPTS_OPENCAST_DIGEST, targets));
    if (this.keyDigests.length === 0 && !digestApplies) return true;
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const presented = presentedKey(request);
    if (isOneOfKeys(presented, this.keyDigests)) return true;
    if (digestApplies) {
      const outcome = await this.digestAuthenticator.authenticate(request);
      if ('user' in outcome) {
        setAuthenticatedUser(request, outcome.user);
        return true;
      }
      context.switchToHttp().getResponse<Response>().setHeader('WWW-Authenticate', outcome.challenge);
      throw new UnauthorizedException(
        presented !== undefined
          ? 'The API key is not valid'
          : /^Digest\s/i.test(request.headers.authorization ?? '')
            ? 'The Digest credentials are not valid or their nonce expired: answer the new challenge'
            : 'Authentication is required: HTTP Digest as the Opencast system user, or an API key',
      );
    }
    throw new UnauthorizedException(
      presented === undefined
        ? 'An API key is required: send "Authorization: Bearer <key>" or "X-API-Key: <key>"'
        : 'The API key is not valid',
    );
  }
}

/** The key a request presents, by `X-API-Key` or as a bearer token. */
export function presentedKey(request: Request): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header !== '') return header;
  const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '');
  return bearer?.[1]?.trim();
}

export function apiKeyDigest(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

/** True when `presented` is one of the keys whose digests are given. */
export function isOneOfKeys(presented: string | undefined, keyDigests: Buffer[]): boolean {
  if (presented === undefined) return false;
  const presentedDigest = apiKeyDigest(presented);
  // Compare against every key, so the time taken does not reveal which one matched.
  let matched = false;
  for (const key of keyDigests) matched = timingSafeEqual(key, presentedDigest) || matched;
  return matched;
}

const AUTHENTICATED_USER = Symbol('authenticatedUser');

/** The Digest user a request was authenticated as, if any. */
export function authenticatedUser(request: Request): string | undefined {
  return (request as Request & { [AUTHENTICATED_USER]?: string })[AUTHENTICATED_USER];
}

function setAuthenticatedUser(request: Request, user: string): void {
  (request as Request & { [AUTHENTICATED_USER]?: string })[AUTHENTICATED_USER] = user;
}
