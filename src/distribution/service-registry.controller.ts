import { applyDecorators, Controller, Get, NotFoundException, Param, Query, Res } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { DistributionJobsService } from './distribution-jobs.service.js';
import { renderJobJson, renderJobListJson, renderJobListXml, renderJobXml } from './job-document.js';
import { ListJobsQueryDto } from './list-jobs-query.dto.js';
import { XML_CONTENT_TYPE } from './mediapackage.js';
import { AnswersXml, OpencastEndpoint } from './opencast-endpoint.decorator.js';

/** One job as XML or JSON, for the API documentation. */
const AnswersJobDocument = () =>
  applyDecorators(
    ApiProduces('text/xml', 'application/json'),
    ApiOkResponse({ description: 'The job' }),
    ApiNotFoundResponse({ description: 'No job has this id' }),
  );

/** The part of Opencast's service registry (`/services`) that its clients poll for jobs. */
@ApiTags('Distribution')
@Controller('services')
@OpencastEndpoint()
export class ServiceRegistryController {
  constructor(private readonly jobs: DistributionJobsService) {}

  /** Get a distribution job as `{id}.xml` or `{id}.json`. */
  @Get('job/:file')
  @AnswersJobDocument()
  async getDistributionJob(
    @Param('file') file: string,
    @Res({ passthrough: true }) response: Response,
  ): Promise<string | object> {
    const match = /^(\d{1,15})\.(xml|json)$/.exec(file);
    if (!match) throw new NotFoundException(`No job at ${file}: ask for job/{id}.xml or job/{id}.json`);
    const job = await this.jobs.findJob(Number(match[1]));
    if (match[2] === 'json') return renderJobJson(job);
    response.type(XML_CONTENT_TYPE);
    return renderJobXml(job);
  }

  /** List the newest distribution jobs (limit, offset), optionally only those in one status. */
  @Get('jobs.xml')
  @AnswersXml('`<jobs xmlns="http://job.opencastproject.org">` with the jobs, oldest first')
  async listDistributionJobsXml(@Query() query: ListJobsQueryDto): Promise<string> {
    return renderJobListXml(await this.jobs.listJobs(query));
  }

  /** List the newest distribution jobs as JSON (limit, offset), optionally only those in one status. */
  @Get('jobs.json')
  @ApiOkResponse({ description: '`{"jobs": {"job": [...]}}`, oldest first' })
  async listDistributionJobsJson(@Query() query: ListJobsQueryDto): Promise<object> {
    return renderJobListJson(await this.jobs.listJobs(query));
  }
}
