import { Controller, Get, Header, NotFoundException, Param, Query, Res, UseFilters } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiProduces, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Response } from 'express';
import { API_KEY_REQUIRED } from '../common/api-key.guard.js';
import { AcceptsOpencastDigest } from '../common/public.decorator.js';
import { AppConfig } from '../config/app-config.js';
import { ListJobsQueryDto } from './list-jobs-query.dto.js';
import { DistributionJobsService } from './distribution-jobs.service.js';
import { renderJobJson, renderJobListJson, renderJobListXml, renderJobXml, toJobView } from './job-document.js';
import { XML_CONTENT_TYPE } from './mediapackage.js';
import { PlainTextErrorFilter } from './plain-text-error.filter.js';

/** The part of Opencast's service registry (`/services`) that its clients poll for jobs. */
@ApiTags('Distribution')
@ApiUnauthorizedResponse({ description: API_KEY_REQUIRED })
@Controller('services')
@AcceptsOpencastDigest()
@UseFilters(PlainTextErrorFilter)
export class ServiceRegistryController {
  constructor(
    private readonly jobs: DistributionJobsService,
    private readonly config: AppConfig,
  ) {}

  /** Get a distribution job as `{id}.xml` or `{id}.json`. */
  @Get('job/:file')
  @ApiProduces('text/xml', 'application/json')
  @ApiOkResponse({ description: 'The job' })
  @ApiNotFoundResponse({ description: 'No job has this id' })
  async getDistributionJob(
    @Param('file') file: string,
    @Res({ passthrough: true }) response: Response,
  ): Promise<string | object> {
    const match = /^(\d{1,15})\.(xml|json)$/.exec(file);
    if (!match) throw new NotFoundException(`No job at ${file}: ask for job/{id}.xml or job/{id}.json`);
    const view = toJobView(await this.jobs.findJob(Number(match[1])), this.config.publicUrl);
    if (match[2] === 'json') return renderJobJson(view);
    response.type(XML_CONTENT_TYPE);
    return renderJobXml(view);
  }

  /** List the newest distribution jobs (limit, offset), optionally only those in one status. */
  @Get('jobs.xml')
  @Header('Content-Type', XML_CONTENT_TYPE)
  @ApiProduces('text/xml')
  @ApiOkResponse({
    description: '`<jobs xmlns="http://job.opencastproject.org">` with the jobs, oldest first',
    type: String,
  })
  async listDistributionJobsXml(@Query() query: ListJobsQueryDto): Promise<string> {
    const jobs = await this.jobs.listJobs(query);
    return renderJobListXml(jobs.map((job) => toJobView(job, this.config.publicUrl)));
  }

  /** List the newest distribution jobs as JSON (limit, offset), optionally only those in one status. */
  @Get('jobs.json')
  @ApiOkResponse({ description: '`{"jobs": {"job": [...]}}`, oldest first' })
  async listDistributionJobsJson(@Query() query: ListJobsQueryDto): Promise<object> {
    const jobs = await this.jobs.listJobs(query);
    return renderJobListJson(jobs.map((job) => toJobView(job, this.config.publicUrl)));
  }
}
