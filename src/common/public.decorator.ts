import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiSecurity } from '@nestjs/swagger';

export const IS_PUBLIC = 'isPublic';

/**
 * Swagger's explorer drops an empty list of requirements, so @Public marks an operation with the
 * anonymous requirement `{}`; openOperations (app.setup.ts) writes it as OpenAPI's `security: []`.
 */
export const ANONYMOUS_REQUIREMENT = {};

/**
 * Opens a route to callers without an API key (health, published files), and says so in the
 * OpenAPI document.
 */
export const Public = () => applyDecorators(SetMetadata(IS_PUBLIC, true), ApiSecurity(ANONYMOUS_REQUIREMENT));

export const ACCEPTS_OPENCAST_DIGEST = 'acceptsOpencastDigest';

/** Lets the Opencast system user in by HTTP Digest (OPENCAST_DIGEST_USER), besides API keys. */
export const AcceptsOpencastDigest = () => SetMetadata(ACCEPTS_OPENCAST_DIGEST, true);
