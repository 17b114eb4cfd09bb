import {
  applyDecorators,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  Res,
  UseInterceptors,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiGoneResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { API_KEY_REQUIRED } from '../common/api-key.guard.js';
import { NoContentWhenEmpty } from '../common/no-content.interceptor.js';
import { CaseInsensitiveBodyInterceptor } from './case-insensitive-body.interceptor.js';
import {
  ContentIdQueryDto,
  CreateVodDownloadDto,
  DeleteExpiredQueryDto,
  ListVodDownloadsQueryDto,
  VodDownloadResponseDto,
} from './vod-download.dto.js';
import type { VodDownload } from './vod-download.entity.js';
import { Page, VodDownloadService } from './vod-download.service.js';

/** The answers of a create request, for the API documentation. */
const ApiCreatedDownload = () =>
  applyDecorators(
    ApiCreatedResponse({ type: VodDownloadResponseDto, description: 'The download, queued; Location names it' }),
    ApiBadRequestResponse({ description: 'The request names what to fix: an unknown event, bad times, a bad filter…' }),
    ApiConflictResponse({ description: 'A download with this contentId exists already' }),
  );

/** The answers of a retry, for the API documentation. */
const ApiRetried = (notFound: string) =>
  applyDecorators(
    ApiOkResponse({ type: VodDownloadResponseDto, description: 'The download, queued again' }),
    ApiNotFoundResponse({ description: notFound }),
    ApiConflictResponse({ description: 'The download is queued or processing' }),
  );

/** The seed API answers a delete with 410 Gone. */
const AnswersGone = (description: string) => applyDecorators(HttpCode(410), ApiGoneResponse({ description }));

/**
 * The VOD Downloads API of the original service. Literal segments (`contentid`, `event`,
 * `retry`) are declared before `:id`, so they are never taken for an id.
 */
@ApiTags('VOD downloads')
@ApiUnauthorizedResponse({ description: API_KEY_REQUIRED })
@Controller('voddownload')
export class VodDownloadController {
  constructor(private readonly downloads: VodDownloadService) {}

  /** Create a VOD download; it is queued for processing and the user is e-mailed when it is ready. */
  @Post()
  @UseInterceptors(CaseInsensitiveBodyInterceptor)
  @ApiCreatedDownload()
  async createDownload(
    @Body() request: CreateVodDownloadDto,
    @Res({ passthrough: true }) response: Response,
  ): Promise<VodDownloadResponseDto> {
    const download = await this.downloads.createDownload(request);
    response.location(`/voddownload/${download.id}`);
    return this.downloads.toResponse(download);
  }

  /** Get all VOD downloads, newest first. */
  @Get()
  @ApiOkResponse({ type: [VodDownloadResponseDto] })
  @NoContentWhenEmpty('No download exists')
  listDownloads(@Query() page: ListVodDownloadsQueryDto): Promise<VodDownloadResponseDto[]> {
    return this.listed(page);
  }

  /** Get a VOD download by content id. */
  @Get('contentid')
  @ApiOkResponse({ type: VodDownloadResponseDto })
  @NoContentWhenEmpty('No download has this content id')
  getDownloadByContentId(@Query() query: ContentIdQueryDto): Promise<VodDownloadResponseDto | null> {
    return this.found(this.downloads.findByContentId(query.id));
  }

  /** Get all VOD downloads of an event, newest first. */
  @Get('event/:eventId')
  @ApiOkResponse({ type: [VodDownloadResponseDto] })
  @NoContentWhenEmpty('The event has no downloads')
  listDownloadsForEvent(
    @Param('eventId') eventId: string,
    @Query() page: ListVodDownloadsQueryDto,
  ): Promise<VodDownloadResponseDto[]> {
    return this.listed(page, eventId);
  }

  /** Retry a VOD download by content id: it goes back to the queue. */
  @Get('retry/contentid')
  @ApiRetried('No download has this content id')
  async retryDownloadByContentId(@Query() query: ContentIdQueryDto): Promise<VodDownloadResponseDto> {
    return this.downloads.toResponse(await this.downloads.retry({ contentId: query.id }));
  }

  /** Retry a VOD download by id: it goes back to the queue. */
  @Get('retry/:id')
  @ApiRetried('No download has this id')
  async retryDownload(@Param('id') id: string): Promise<VodDownloadResponseDto> {
    return this.downloads.toResponse(await this.downloads.retry({ id }));
  }

  /** Get a VOD download by id. */
  @Get(':id')
  @ApiOkResponse({ type: VodDownloadResponseDto })
  @NoContentWhenEmpty('No download has this id')
  getDownload(@Param('id') id: string): Promise<VodDownloadResponseDto | null> {
    return this.found(this.downloads.findById(id));
  }

  /** Delete expired downloads; `buffer` extends the expiry period by that many days. */
  @Delete()
  @AnswersGone('The expired downloads are gone')
  async deleteExpiredDownloads(@Query() query: DeleteExpiredQueryDto): Promise<void> {
    await this.downloads.deleteExpired(Number(query.buffer ?? 0));
  }

  /** Delete a VOD download by content id, cancelling it if it is being processed. */
  @Delete('contentid')
  @AnswersGone('The download is gone')
  async deleteDownloadByContentId(@Query() query: ContentIdQueryDto): Promise<void> {
    await this.downloads.delete({ contentId: query.id });
  }

  /** Delete every download of an event, expired or not. */
  @Delete('event/:eventId')
  @AnswersGone("The event's downloads are gone")
  async deleteDownloadsForEvent(@Param('eventId') eventId: string): Promise<void> {
    await this.downloads.deleteForEvent(eventId);
  }

  /** Delete a VOD download by id, cancelling it if it is being processed. */
  @Delete(':id')
  @AnswersGone('The download is gone')
  async deleteDownload(@Param('id') id: string): Promise<void> {
    await this.downloads.delete({ id });
  }

  private async listed(page: Page, eventId?: string): Promise<VodDownloadResponseDto[]> {
    const downloads = await this.downloads.list(page, eventId);
    return downloads.map((download) => this.downloads.toResponse(download));
  }

  private async found(lookup: Promise<VodDownload | null>): Promise<VodDownloadResponseDto | null> {
    const download = await lookup;
    return download && this.downloads.toResponse(download);
  }
}
