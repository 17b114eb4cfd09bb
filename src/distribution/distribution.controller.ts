import { Body, Controller, HttpCode, Post, Req, UseInterceptors } from '@nestjs/common';
import { NoFilesInterceptor } from '@nestjs/platform-express';
import { ApiBadRequestResponse, ApiConsumes, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { authenticatedUser } from '../common/api-key.guard.js';
import { DistributeFormDto, RetractFormDto } from './distribution-form.dto.js';
import { DistributionJobsService, type JobCaller } from './distribution-jobs.service.js';
import { DistributionService } from './distribution.service.js';
import { joinElementDocuments } from './mediapackage.js';
import { AnswersQueuedJob, AnswersXml, OpencastEndpoint } from './opencast-endpoint.decorator.js';
import { CURRENT_JOB_HEADER, ORGANIZATION_HEADER, USER_HEADER } from './opencast-registry/registry-client.js';

/** Opencast's download distribution service (`/distribution/download`), form in, XML out. */
@ApiTags('Distribution')
@Controller('distribution/download')
@OpencastEndpoint()
@UseInterceptors(NoFilesInterceptor())
@ApiConsumes('application/x-www-form-urlencoded', 'multipart/form-data')
@ApiBadRequestResponse({ description: 'A field is missing or wrong; the plain-text body says which' })
export class DistributionController {
  constructor(
    private readonly distribution: DistributionService,
    private readonly jobs: DistributionJobsService,
  ) {}

  /** Distribute mediapackage elements to a channel; answers the Opencast job (QUEUED) to poll. */
  @Post()
  @HttpCode(200)
  @AnswersQueuedJob()
  async distributeElements(@Body() form: DistributeFormDto, @Req() request: Request): Promise<string> {
    return this.jobs.submit('Distribute', form, callerOf(request));
  }

  /** Distribute mediapackage elements synchronously; answers the distributed elements joined by `###`. */
  @Post('distributesync')
  @HttpCode(200)
  @AnswersXml('Each distributed element as an XML document, joined by ###')
  async distributeElementsSync(@Body() form: DistributeFormDto): Promise<string> {
    const request = await this.distribution.prepare('Distribute', form);
    return joinElementDocuments(await this.distribution.distribute(request));
  }

  /** Retract mediapackage elements from a channel; answers the Opencast job (QUEUED) to poll. */
  @Post('retract')
  @HttpCode(200)
  @AnswersQueuedJob()
  async retractElements(@Body() form: RetractFormDto, @Req() request: Request): Promise<string> {
    return this.jobs.submit('Retract', form, callerOf(request));
  }

  /** Retract mediapackage elements synchronously; answers the elements as passed in, joined by `###`. */
  @Post('retractsync')
  @HttpCode(200)
  @AnswersXml('Each retracted element as an XML document, joined by ###')
  async retractElementsSync(@Body() form: RetractFormDto): Promise<string> {
    const request = await this.distribution.prepare('Retract', form);
    return joinElementDocuments(await this.distribution.retract(request));
  }
}

/**
 * Opencast records the user who created a job (callers with an API key are not named); in a
 * cluster the workflow's organization, user and current job go on to the registry.
 */
function callerOf(request: Request): JobCaller {
  const workflowHeaders = Object.fromEntries(
    [ORGANIZATION_HEADER, USER_HEADER, CURRENT_JOB_HEADER].map((name) => [name, request.get(name)]),
  );
  return { creator: authenticatedUser(request) ?? 'anonymous', workflowHeaders };
}
