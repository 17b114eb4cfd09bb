import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { getMetadataStorage } from 'class-validator';
import type { Request } from 'express';
import type { Observable } from 'rxjs';
import { CreateVodDownloadDto, DownloadClipDto } from './vod-download.dto.js';

/** Every property name of the create request, by its lower-case spelling, as the DTOs declare them. */
const CANONICAL_NAMES = new Map(
  [CreateVodDownloadDto, DownloadClipDto]
    .flatMap((dto) => getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false))
    .map(({ propertyName }) => [propertyName.toLowerCase(), propertyName]),
);

/**
 * The original service was .NET and read `EmailAddress`, `IsMasterClip`… as well as camelCase.
 * Renames such keys to their camelCase form before validation, and wraps a single clip object
 * in `downloadClips` into a list.
 */
@Injectable()
export class CaseInsensitiveBodyInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request>();
    if (isPlainObject(request.body)) {
      const body = canonicalizeKeys(request.body) as Record<string, unknown>;
      if (isPlainObject(body.downloadClips)) body.downloadClips = [body.downloadClips];
      request.body = body;
    }
    return next.handle();
  }
}

function canonicalizeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonicalizeKeys);
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      CANONICAL_NAMES.get(key.toLowerCase()) ?? key,
      canonicalizeKeys(inner),
    ]),
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
