import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { AppConfig } from '../config/app-config.js';
import {
  digestChallenge,
  expectedDigestResponse,
  NonceIssuer,
  parseDigestAuthorization,
  safeEqual,
} from './digest-auth.js';

export const DIGEST_REALM = 'Opencast';
const NONCE_LIFETIME_MS = 5 * 60 * 1000;

export type DigestOutcome = { user: string } | { challenge: string };

/**
 * Accepts the Opencast system user (OPENCAST_DIGEST_USER / OPENCAST_DIGEST_PASSWORD) by HTTP
 * Digest on the controllers marked @AcceptsOpencastDigest, so a real Opencast node can be
 * pointed at this service.
 */
@Injectable()
export class DigestAuthenticator {
  private readonly nonces = new NonceIssuer(NONCE_LIFETIME_MS);

  constructor(private readonly config: AppConfig) {}

  get enabled(): boolean {
    return Boolean(this.config.distribution.digestUser && this.config.distribution.digestPassword);
  }

  /** The user when the request carries valid Digest credentials, else the challenge to answer with. */
  authenticate(request: Request): DigestOutcome {
    const { digestUser, digestPassword } = this.config.distribution;
    const credentials = parseDigestAuthorization(request.headers.authorization);
    if (!credentials || !digestUser || !digestPassword) return { challenge: digestChallenge(DIGEST_REALM, this.nonces.issue()) };
    const nonce = this.nonces.check(credentials.nonce);
    const valid =
      nonce === 'valid' &&
      credentials.realm === DIGEST_REALM &&
      credentials.qop === 'auth' &&
      (credentials.algorithm ?? 'MD5').toUpperCase() === 'MD5' &&
      sameRequestTarget(credentials.uri, request.originalUrl) &&
      safeEqual(credentials.username, digestUser) &&
      safeEqual(credentials.response.toLowerCase(), expectedDigestResponse(credentials, digestPassword, request.method));
    if (valid) return { user: credentials.username };
    return { challenge: digestChallenge(DIGEST_REALM, this.nonces.issue(), nonce === 'stale') };
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
