import { Body, Controller, Head, HttpCode, Post, UseInterceptors } from '@nestjs/common';
import { NoFilesInterceptor } from '@nestjs/platform-express';
import {
  ApiConsumes,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiPreconditionFailedResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { DispatchFormDto } from './dispatch-form.dto.js';
import { DistributionJobsService } from './distribution-jobs.service.js';
import { OpencastEndpoint } from './opencast-endpoint.decorator.js';

const STANDALONE = 'OPENCAST_URL is not set: this service is not a member of an Opencast cluster';

/** The job producer side of Opencast's service registry: its dispatcher and heartbeat call these. */
@ApiTags('Distribution')
@Controller('distribution/download')
@OpencastEndpoint()
@UseInterceptors(NoFilesInterceptor())
@ApiNotFoundResponse({ description: STANDALONE })
export class DispatchController {
  constructor(private readonly jobs: DistributionJobsService) {}

  /** Accept a job Opencast's dispatcher sends; it then runs here and is reported to the registry. */
  @Post('dispatch')
  @HttpCode(204)
  @ApiConsumes('application/x-www-form-urlencoded', 'multipart/form-data')
  @ApiNoContentResponse({ description: 'Accepted' })
  @ApiServiceUnavailableResponse({ description: 'The queue is full; the dispatcher tries another host' })
  @ApiPreconditionFailedResponse({ description: 'This service cannot run the job; Opencast fails it' })
  async acceptDispatchedJob(@Body() form: DispatchFormDto): Promise<void> {
    await this.jobs.acceptDispatched(Number(form.id));
  }

  /** Answer the registry's heartbeat. */
  @Head('dispatch')
  @HttpCode(200)
  @ApiOkResponse({ description: 'This service is up' })
  answerHeartbeat(): void {
    this.jobs.requireMembership();
  }
}
