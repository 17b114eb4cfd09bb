import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';

/**
 * Errors of the Opencast endpoints as Opencast answers them: the status code with a plain-text
 * message, not Nest's JSON. Anything that is not an HttpException is logged and hidden.
 */
@Catch()
export class PlainTextErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Distribution');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    if (response.headersSent) return;
    let status: number = HttpStatus.INTERNAL_SERVER_ERROR;
    let message = 'Internal server error';
    if (exception instanceof HttpException) {
      status = exception.getStatus();
      message = messageOf(exception.getResponse());
    } else {
      this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    }
    response.status(status).type('text/plain; charset=utf-8').send(message);
  }
}

function messageOf(body: string | object): string {
  if (typeof body === 'string') return body;
  const message = (body as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : JSON.stringify(body);
}
