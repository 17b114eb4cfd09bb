import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * HTTP Digest authentication (RFC 7616) with MD5 and qop=auth, the variant Opencast's trusted
 * HTTP client speaks. Nonces are a timestamp signed with a secret, so any nonce can be checked
 * and expires without a table of issued nonces; NonceCounts remembers the nonce counts used so
 * that captured credentials cannot be replayed.
 */
export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  qop?: string;
  nc?: string;
  cnonce?: string;
  algorithm?: string;
  opaque?: string;
}

/** The parameters of an `Authorization: Digest …` header, or null when it is not one. */
export function parseDigestAuthorization(header: string | undefined): DigestCredentials | null {
  const params = parseDigestParams(header);
  if (!params) return null;
  const { username, realm, nonce, uri, response } = params;
  if (!username || realm === undefined || !nonce || !uri || !response) return null;
  return { ...params, username, realm, nonce, uri, response } as DigestCredentials;
}

/** The `key=value` / `key="quoted value"` parameters of a `Digest …` header (challenge or credentials). */
export function parseDigestParams(header: string | undefined): Record<string, string> | null {
  const match = /^Digest\s+(.*)$/is.exec(header?.trim() ?? '');
  if (!match) return null;
  const params: Record<string, string> = {};
  const pattern = /\s*([a-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*(?:,|$)/giy;
  const text = match[1];
  while (pattern.lastIndex < text.length) {
    const param = pattern.exec(text);
    if (!param) return null;
    params[param[1].toLowerCase()] = param[2] !== undefined ? param[2].replace(/\\(.)/g, '$1') : param[3];
  }
  return params;
}

/** The `response` a client with this password computes (RFC 7616 §3.4.1, MD5, qop=auth). */
export function expectedDigestResponse(credentials: DigestCredentials, password: string, method: string): string {
  const ha1 = md5(`${credentials.username}:${credentials.realm}:${password}`);
  const ha2 = md5(`${method.toUpperCase()}:${credentials.uri}`);
  return md5(
    `${ha1}:${credentials.nonce}:${credentials.nc ?? ''}:${credentials.cnonce ?? ''}:${credentials.qop ?? ''}:${ha2}`,
  );
}

export type NonceCheck = 'valid' | 'stale' | 'invalid';

/**
 * The nonce-signing secret derived from the shared Digest password, so that every process behind
 * a load balancer accepts the nonces the others issue.
 */
export function nonceSecretFor(password: string): Buffer {
  return createHmac('sha256', password).update('media-delivery/digest-nonce/v1').digest();
}

export class NonceIssuer {
  constructor(
    private readonly lifetimeMs: number,
    private readonly secret: Buffer = randomBytes(32),
  ) {}

  issue(nowMs = Date.now()): string {
    const timestamp = String(nowMs);
    return Buffer.from(`${timestamp}:${this.sign(timestamp)}`).toString('base64url');
  }

  check(nonce: string, nowMs = Date.now()): NonceCheck {
    const issuedAt = this.issuedAt(nonce);
    if (issuedAt === null) return 'invalid';
    const age = nowMs - issuedAt;
    // Tolerate a little clock skew between the processes that share the secret.
    if (age < -CLOCK_SKEW_MS) return 'invalid';
    return age > this.lifetimeMs ? 'stale' : 'valid';
  }

  /** When a nonce this secret signed was issued, or null for anything else. */
  issuedAt(nonce: string): number | null {
    const [timestamp, signature] = Buffer.from(nonce, 'base64url').toString().split(':');
    if (!timestamp || !signature || !/^\d{1,15}$/.test(timestamp) || !safeEqual(signature, this.sign(timestamp)))
      return null;
    return Number(timestamp);
  }

  private sign(timestamp: string): string {
    return createHmac('sha256', this.secret).update(timestamp).digest('base64url');
  }
}

const CLOCK_SKEW_MS = 5_000;

/**
 * The highest nonce count (`nc`) accepted per nonce, so a captured Authorization header cannot be
 * replayed: each use of a nonce must count up. Bounded: when full, the least recently used nonces
 * are forgotten, and every nonce issued no later than a forgotten one counts as used up.
 */
export class NonceCounts {
  private readonly highest = new Map<string, number>();
  private forgottenUpTo = -Infinity;

  constructor(private readonly capacity: number) {}

  /** Records `nc` for the nonce issued at `issuedAt`; false when it does not exceed the last one. */
  accept(nonce: string, issuedAt: number, nc: number): boolean {
    const last = this.highest.get(nonce);
    if (last === undefined ? issuedAt <= this.forgottenUpTo : nc <= last) return false;
    this.highest.delete(nonce);
    this.highest.set(nonce, nc);
    while (this.highest.size > this.capacity) {
      const [oldest] = this.highest.keys();
      this.highest.delete(oldest);
      const [timestamp] = Buffer.from(oldest, 'base64url').toString().split(':');
      this.forgottenUpTo = Math.max(this.forgottenUpTo, Number(timestamp));
    }
    return true;
  }
}

/** The `WWW-Authenticate` value of a challenge. */
export function digestChallenge(realm: string, nonce: string, stale = false): string {
  return `Digest realm="${realm}", nonce="${nonce}", qop="auth", algorithm=MD5${stale ? ', stale=true' : ''}`;
}

export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function md5(text: string): string {
  return createHash('md5').update(text).digest('hex');
}

/**
 * The `Authorization` header answering a server's Digest challenge (the client side, used to
 * fetch sources from an Opencast node; tests use it as Opencast's client).
 */
export function answerDigestChallenge(
  challengeHeader: string,
  user: { username: string; password: string },
  method: string,
  uri: string,
  nonceCount = 1,
): string | null {
  const challenge = parseDigestParams(challengeHeader);
  if (!challenge?.nonce || challenge.realm === undefined) return null;
  if (!/(^|,)\s*auth\s*(,|$)/.test(challenge.qop ?? '')) return null;
  const credentials: DigestCredentials = {
    username: user.username,
    realm: challenge.realm,
    nonce: challenge.nonce,
    uri,
    qop: 'auth',
    nc: nonceCount.toString(16).padStart(8, '0'),
    cnonce: randomBytes(8).toString('hex'),
    response: '',
    ...(challenge.opaque !== undefined && { opaque: challenge.opaque }),
  };
  credentials.response = expectedDigestResponse(credentials, user.password, method);
  const quoted = (value: string) => `"${value.replace(/(["\\])/g, '\\$1')}"`;
  return (
    `Digest username=${quoted(credentials.username)}, realm=${quoted(credentials.realm)}, nonce=${quoted(credentials.nonce)}, ` +
    `uri=${quoted(uri)}, qop=auth, nc=${credentials.nc}, cnonce=${quoted(credentials.cnonce!)}, ` +
    `response=${quoted(credentials.response)}, algorithm=MD5` +
    (credentials.opaque !== undefined ? `, opaque=${quoted(credentials.opaque)}` : '')
  );
}
