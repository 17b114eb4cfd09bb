import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'isPublic';

/** Opens a route to callers without an API key (health, published files). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

export const ACCEPTS_OPENCAST_DIGEST = 'acceptsOpencastDigest';

/** Lets the Opencast system user in by HTTP Digest (OPENCAST_DIGEST_USER), besides API keys. */
export const AcceptsOpencastDigest = () => SetMetadata(ACCEPTS_OPENCAST_DIGEST, true);
