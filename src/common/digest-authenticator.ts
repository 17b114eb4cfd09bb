import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { AppConfig } from '../config/app-config.js';
import { RedisConnection } from '../jobs/redis-connection.js';
import {
  digestChallenge,
  expectedDigestResponse,
  NonceIssuer,
  nonceSecretFor,
  parseDigestAuthorization,
  safeEqual,
} from './digest-auth.js';
import { DigestNonceStore, MemoryDigestNonceStore, RedisDigestNonceStore } from './digest-nonce-store.js';

export const DIGEST_REALM = 'Opencast';
const NONCE_LIFETIME_MS = 5 * 60 * 1000;
/** A nonce's lifetime plus the clock skew NonceIssuer tolerates and some margin. */
const NONCE_VALIDITY_MS = NONCE_LIFETIME_MS + 30_000;
/** Nonces whose counts are remembered; far more than the requests of one nonce lifetime from Opencast's nodes. */
const REMEMBERED_NONCES = 10_000;
const NONCE_COUNT = /^[0-9a-f]{8}$/i;

export type DigestOutcome = { user: string } | { challenge: string };

/**
 * Accepts the Opencast system user (OPENCAST_DIGEST_USER / OPENCAST_DIGEST_PASSWORD) by HTTP
 * Digest on the controllers marked @AcceptsOpencastDigest, so a real Opencast node can be
 * pointed at this service.
 */
@Injectable()
export class DigestAuthenticator {
  private readonly nonces: NonceIssuer;
  /**
   * In Redis when REDIS_URL is set. Per process otherwise: behind a load balancer a header
   * captured on its way to one process could then be replayed once at each other process within
   * the nonce lifetime.
   */
  private readonly counts: DigestNonceStore;

  constructor(
    private readonly config: AppConfig,
    redis: RedisConnection,
  ) {
    const { digestPassword } = config.distribution;
    this.nonces = new NonceIssuer(NONCE_LIFETIME_MS, digestPassword ? nonceSecretFor(digestPassword) : undefined);
    this.counts = redis.enabled
      ? new RedisDigestNonceStore(redis, NONCE_VALIDITY_MS)
      : new MemoryDigestNonceStore(REMEMBERED_NONCES);
  }

  get enabled(): boolean {
    return Boolean(this.config.distribution.digestUser && this.config.distribution.digestPassword);
  }

  /** The user when the request carries valid Digest credentials, else the challenge to answer with. */
  async authenticate(request: Request): Promise<DigestOutcome> {
    const { digestUser, digestPassword } = this.config.distribution;
    const credentials = parseDigestAuthorization(request.headers.authorization);
    if (!credentials || !digestUser || !digestPassword)
      return { challenge: digestChallenge(DIGEST_REALM, this.nonces.issue()) };
    const nonce = this.nonces.check(credentials.nonce);
    const valid =
      nonce !== 'invalid' &&
      credentials.realm === DIGEST_REALM &&
      credentials.qop === 'auth' &&
      NONCE_COUNT.test(credentials.nc ?? '') &&
      Boolean(credentials.cnonce) &&
      (credentials.algorithm ?? 'MD5').toUpperCase() === 'MD5' &&
      sameRequestTarget(credentials.uri, request.originalUrl) &&
      safeEqual(credentials.username, digestUser) &&
      safeEqual(
        credentials.response.toLowerCase(),
        expectedDigestResponse(credentials, digestPassword, request.method),
      );
    if (!valid) return { challenge: digestChallenge(DIGEST_REALM, this.nonces.issue()) };
    const fresh =
      nonce === 'valid' &&
      (await this.counts.accept(
        credentials.nonce,
        this.nonces.issuedAt(credentials.nonce)!,
        parseInt(credentials.nc!, 16),
      ));
    if (fresh) return { user: credentials.username };
    // Right password, used-up nonce: stale=true lets the client retry with a new nonce at once.
    return { challenge: digestChallenge(DIGEST_REALM, this.nonces.issue(), true) };
  }
}

/** The digest `uri` names this request; clients send the origin form, some the absolute URL. */
function sameRequestTarget(digestUri: string, originalUrl: string): boolean {
  if (digestUri === originalUrl) return true;
  try {
    const url = new URL(digestUri);
    return `${url.pathname}${url.search}` === originalUrl;
  } catch {
    return false;
  }
}
