import { Body, Controller, Header, HttpCode, Post, Req, UseFilters, UseInterceptors } from '@nestjs/common';
import { NoFilesInterceptor } from '@nestjs/platform-express';
import {
  ApiBadRequestResponse,
  ApiConsumes,
  ApiOkResponse,
  ApiProduces,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { API_KEY_REQUIRED, authenticatedUser } from '../common/api-key.guard.js';
import { AcceptsOpencastDigest } from '../common/public.decorator.js';
import { AppConfig } from '../config/app-config.js';
import { DistributeFormDto, RetractFormDto } from './distribution-form.dto.js';
import { DistributionJobsService } from './distribution-jobs.service.js';
import { DistributionService } from './distribution.service.js';
import { renderJobXml, toJobView } from './job-document.js';
import { joinElementDocuments, XML_CONTENT_TYPE } from './mediapackage.js';
import { PlainTextErrorFilter } from './plain-text-error.filter.js';

/** Opencast's download distribution service (`/distribution/download`), form in, XML out. */
@ApiTags('Distribution')
@ApiUnauthorizedResponse({ description: API_KEY_REQUIRED })
@Controller('distribution/download')
@AcceptsOpencastDigest()
@UseFilters(PlainTextErrorFilter)
@UseInterceptors(NoFilesInterceptor())
@ApiConsumes('application/x-www-form-urlencoded', 'multipart/form-data')
@ApiProduces('text/xml')
@ApiBadRequestResponse({ description: 'A field is missing or wrong; the plain-text body says which' })
export class DistributionController {
  constructor(
    private readonly distribution: DistributionService,
    private readonly jobs: DistributionJobsService,
    private readonly config: AppConfig,
  ) {}

  /** Distribute mediapackage elements to a channel; answers the Opencast job (QUEUED) to poll. */
  @Post()
  @HttpCode(200)
  @Header('Content-Type', XML_CONTENT_TYPE)
  @ApiOkResponse({ description: 'The job, `<job xmlns="http://job.opencastproject.org">`', type: String })
  @ApiServiceUnavailableResponse({ description: 'The queue is full (DISTRIBUTION_MAX_QUEUED_JOBS); retry later' })
  async distributeElements(@Body() form: DistributeFormDto, @Req() request: Request): Promise<string> {
    const job = await this.jobs.submit('Distribute', form, creatorOf(request));
    return renderJobXml(toJobView(job, this.config.publicUrl));
  }

  /** Distribute mediapackage elements synchronously; answers the distributed elements joined by `###`. */
  @Post('distributesync')
  @HttpCode(200)
  @Header('Content-Type', XML_CONTENT_TYPE)
  @ApiOkResponse({ description: 'Each distributed element as an XML document, joined by ###', type: String })
  async distributeElementsSync(@Body() form: DistributeFormDto): Promise<string> {
    const request = await this.distribution.prepare('Distribute', form);
    return joinElementDocuments(await this.distribution.distribute(request));
  }

  /** Retract mediapackage elements from a channel; answers the Opencast job (QUEUED) to poll. */
  @Post('retract')
  @HttpCode(200)
  @Header('Content-Type', XML_CONTENT_TYPE)
  @ApiOkResponse({ description: 'The job, `<job xmlns="http://job.opencastproject.org">`', type: String })
  @ApiServiceUnavailableResponse({ description: 'The queue is full (DISTRIBUTION_MAX_QUEUED_JOBS); retry later' })
  async retractElements(@Body() form: RetractFormDto, @Req() request: Request): Promise<string> {
    const job = await this.jobs.submit('Retract', form, creatorOf(request));
    return renderJobXml(toJobView(job, this.config.publicUrl));
  }

  /** Retract mediapackage elements synchronously; answers the elements as passed in, joined by `###`. */
  @Post('retractsync')
  @HttpCode(200)
  @Header('Content-Type', XML_CONTENT_TYPE)
  @ApiOkResponse({ description: 'Each retracted element as an XML document, joined by ###', type: String })
  async retractElementsSync(@Body() form: RetractFormDto): Promise<string> {
    const request = await this.distribution.prepare('Retract', form);
    return joinElementDocuments(await this.distribution.retract(request));
  }
}

/** Opencast records the user who created a job; callers with an API key are not named. */
function creatorOf(request: Request): string {
  return authenticatedUser(request) ?? 'anonymous';
}
