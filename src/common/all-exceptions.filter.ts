import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { AppConfig } from '../config/app-config.js';

/**
 * Answers HttpExceptions as Nest does; anything else is logged with its stack and answered 500
 * without internals. Nest turns body-parser errors into HttpExceptions; the one for a body that
 * is too large gets a message that tells the limit.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Exceptions');

  constructor(private readonly config: AppConfig) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    if (response.headersSent) return;
    if (exception instanceof HttpException && exception.getStatus() === HttpStatus.PAYLOAD_TOO_LARGE) {
      const message = `The request body is too large: the limit is ${this.config.maxBodyBytes} bytes`;
      response.status(413).json({ statusCode: 413, message, error: 'Payload Too Large' });
      return;
    }
    if (exception instanceof HttpException) {
      const body = exception.getResponse();
      response
        .status(exception.getStatus())
        .json(typeof body === 'string' ? { statusCode: exception.getStatus(), message: body } : body);
      return;
    }
    this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    response
      .status(HttpStatus.INTERNAL_SERVER_ERROR)
      .json({ statusCode: 500, message: 'Internal server error', error: 'Internal Server Error' });
  }
}
