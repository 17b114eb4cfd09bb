import { Catch } from '@nestjs/common';
import type { Response } from 'express';
import { AllExceptionsFilter } from '../common/all-exceptions.filter.js';

/**
 * Errors of the Opencast endpoints as Opencast answers them: the status code with a plain-text
 * message, not Nest's JSON. Which status and message an error gets is AllExceptionsFilter's rule.
 */
@Catch()
export class PlainTextErrorFilter extends AllExceptionsFilter {
  protected override send(response: Response, status: number, body: object): void {
    response.status(status).type('text/plain; charset=utf-8').send(messageOf(body));
  }
}

function messageOf(body: object): string {
  const message = (body as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : JSON.stringify(body);
}
