import type { RedisConnection } from '../jobs/redis-connection.js';
import { NonceCounts } from './digest-auth.js';

/**
 * Where the highest nonce count (`nc`) used with each Digest nonce is kept, so that a captured
 * Authorization header cannot be replayed: in the process, or in Redis so that every process
 * behind a load balancer refuses a replay the others have seen.
 */
export abstract class DigestNonceStore {
  /** Records `nc` for the nonce issued at `issuedAt`; false when it does not exceed the last one. */
  abstract accept(nonce: string, issuedAt: number, nc: number): Promise<boolean>;
}

export class MemoryDigestNonceStore extends DigestNonceStore {
  private readonly counts: NonceCounts;

  constructor(capacity: number) {
    super();
    this.counts = new NonceCounts(capacity);
  }

  async accept(nonce: string, issuedAt: number, nc: number): Promise<boolean> {
    return this.counts.accept(nonce, issuedAt, nc);
  }
}

/** Compare-and-set of a nonce's count in one step, kept for as long as the nonce can be valid. */
const ACCEPT_NONCE_COUNT = `
local last = tonumber(redis.call('GET', KEYS[1]) or '-1')
if tonumber(ARGV[1]) <= last then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

export class RedisDigestNonceStore extends DigestNonceStore {
  constructor(
    private readonly redis: RedisConnection,
    /** How long a nonce can still be accepted after it was issued, clock skew included. */
    private readonly nonceValidityMs: number,
  ) {
    super();
  }

  async accept(nonce: string, issuedAt: number, nc: number): Promise<boolean> {
    const ttlMs = Math.max(1000, issuedAt + this.nonceValidityMs - Date.now());
    const key = `${this.redis.prefix}:digest-nc:${nonce}`;
    return (await this.redis.client().eval(ACCEPT_NONCE_COUNT, 1, key, String(nc), String(ttlMs))) === 1;
  }
}
