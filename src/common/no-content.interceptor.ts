import {
  applyDecorators,
  CallHandler,
  ExecutionContext,
  Injectable,
  NestInterceptor,
  UseInterceptors,
} from '@nestjs/common';
import { ApiNoContentResponse } from '@nestjs/swagger';
import type { Response } from 'express';
import { map, type Observable } from 'rxjs';

/** The seed API answers 204 instead of 404 or an empty array when there is nothing to return. */
export function isNothingToReturn(value: unknown): boolean {
  return value == null || (Array.isArray(value) && value.length === 0);
}

/** Answers 204 with no body when the handler returns null, undefined or an empty array. */
@Injectable()
export class NoContentWhenEmptyInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      map((value: unknown) => {
        if (!isNothingToReturn(value)) return value;
        context.switchToHttp().getResponse<Response>().status(204);
        return undefined;
      }),
    );
  }
}

/** The 204-when-empty rule on a route, and its line in the API documentation. */
export const NoContentWhenEmpty = (description: string) =>
  applyDecorators(UseInterceptors(NoContentWhenEmptyInterceptor), ApiNoContentResponse({ description }));
