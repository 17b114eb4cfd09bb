import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';

/**
 * Answers HttpExceptions as Nest does; anything else is logged with its stack and answered 500
 * without internals. Body-parser errors (malformed JSON, too large) carry their own 4xx status.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Exceptions');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    if (response.headersSent) return;
    if (exception instanceof HttpException) {
      const body = exception.getResponse();
      response.status(exception.getStatus()).json(typeof body === 'string' ? { statusCode: exception.getStatus(), message: body } : body);
      return;
    }
    const parserStatus = bodyParserStatus(exception);
    if (parserStatus) {
      const message =
        parserStatus === HttpStatus.PAYLOAD_TOO_LARGE
          ? 'The request body is too large'
          : `The request body could not be read: ${(exception as Error).message}`;
      response.status(parserStatus).json({ statusCode: parserStatus, message, error: HttpStatus[parserStatus] });
      return;
    }
    this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    response
      .status(HttpStatus.INTERNAL_SERVER_ERROR)
      .json({ statusCode: 500, message: 'Internal server error', error: 'Internal Server Error' });
  }
}

function bodyParserStatus(exception: unknown): number | undefined {
  const status = (exception as { status?: unknown; type?: unknown })?.status;
  const fromParser = typeof (exception as { type?: unknown })?.type === 'string';
  return fromParser && typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}
