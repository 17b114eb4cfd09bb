import {
  ArgumentsHost,
  BadRequestException,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { Response } from 'express';
import { AppConfig } from '../config/app-config.js';
import { InvalidRequestError } from './invalid-request.error.js';

/**
 * The one place that decides how an error is answered: HttpExceptions as Nest does, an
 * InvalidRequestError as 400 with its message, anything else logged with its stack and answered
 * 500 without internals. Nest turns body-parser errors into HttpExceptions; the one for a body
 * that is too large gets a message that tells the limit. Subclasses only change the wire format.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Exceptions');

  constructor(private readonly config: AppConfig) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    if (response.headersSent) return;
    const { status, body } = this.answerFor(
      exception instanceof InvalidRequestError ? new BadRequestException(exception.message) : exception,
    );
    this.send(response, status, body);
  }

  /** Writes the answer: Nest's JSON error body. */
  protected send(response: Response, status: number, body: object): void {
    response.status(status).json(body);
  }

  private answerFor(exception: unknown): { status: number; body: object } {
    if (exception instanceof HttpException && exception.getStatus() === HttpStatus.PAYLOAD_TOO_LARGE) {
      const message = `The request body is too large: the limit is ${this.config.maxBodyBytes} bytes`;
      return { status: 413, body: { statusCode: 413, message, error: 'Payload Too Large' } };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      return { status, body: typeof body === 'string' ? { statusCode: status, message: body } : body };
    }
    this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    return {
      status: HttpStatus.INTERNAL_SERVER_ERROR,
      body: { statusCode: 500, message: 'Internal server error', error: 'Internal Server Error' },
    };
  }
}
