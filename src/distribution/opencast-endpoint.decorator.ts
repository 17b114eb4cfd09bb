import { applyDecorators, Header, UseFilters } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiServiceUnavailableResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { API_KEY_REQUIRED } from '../common/api-key.guard.js';
import { AcceptsOpencastDigest } from '../common/public.decorator.js';
import { XML_CONTENT_TYPE } from './mediapackage.js';
import { PlainTextErrorFilter } from './plain-text-error.filter.js';

/**
 * A controller that Opencast's own clients call: its system user may sign in by HTTP Digest,
 * and errors are answered in plain text, as Opencast answers them.
 */
export const OpencastEndpoint = () =>
  applyDecorators(
    AcceptsOpencastDigest(),
    UseFilters(PlainTextErrorFilter),
    ApiUnauthorizedResponse({ description: API_KEY_REQUIRED }),
  );

/** A route that answers an XML document (Opencast's Content-Type), described by `description`. */
export const AnswersXml = (description: string) =>
  applyDecorators(
    Header('Content-Type', XML_CONTENT_TYPE),
    ApiProduces('text/xml'),
    ApiOkResponse({ description, type: String }),
  );

/** A route that queues a job and answers it (QUEUED), or 503 while the queue is full. */
export const AnswersQueuedJob = () =>
  applyDecorators(
    AnswersXml('The job, `<job xmlns="http://job.opencastproject.org">`'),
    ApiServiceUnavailableResponse({ description: 'The queue is full (DISTRIBUTION_MAX_QUEUED_JOBS); retry later' }),
  );
