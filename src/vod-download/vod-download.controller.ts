import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res, UseInterceptors } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiGoneResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { API_KEY_REQUIRED } from '../common/api-key.guard.js';
import { noContentWhenEmpty } from '../common/no-content.js';
import { CaseInsensitiveBodyInterceptor } from './case-insensitive-body.interceptor.js';
import {
  ContentIdQueryDto,
  CreateVodDownloadDto,
  DeleteExpiredQueryDto,
  ListVodDownloadsQueryDto,
  VodDownloadResponseDto,
} from './vod-download.dto.js';
import { VodDownloadService } from './vod-download.service.js';

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
  @ApiCreatedResponse({ type: VodDownloadResponseDto, description: 'The download, queued; Location names it' })
  @ApiBadRequestResponse({ description: 'The request names what to fix: an unknown event, bad times, a bad filter…' })
  @ApiConflictResponse({ description: 'A download with this contentId exists already' })
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
  @ApiNoContentResponse({ description: 'No download exists' })
  async listDownloads(
    @Query() page: ListVodDownloadsQueryDto,
    @Res({ passthrough: true }) response: Response,
  ): Promise<VodDownloadResponseDto[] | undefined> {
    const downloads = await this.downloads.list(page);
    return noContentWhenEmpty(
      response,
      downloads.map((download) => this.downloads.toResponse(download)),
    );
  }

  /** Get a VOD download by content id. */
  @Get('contentid')
  @ApiOkResponse({ type: VodDownloadResponseDto })
  @ApiNoContentResponse({ description: 'No download has this content id' })
  async getDownloadByContentId(
    @Query() query: ContentIdQueryDto,
    @Res({ passthrough: true }) response: Response,
  ): Promise<VodDownloadResponseDto | undefined> {
    return this.respondWith(response, await this.downloads.findByContentId(query.id));
  }

  /** Get all VOD downloads of an event, newest first. */
  @Get('event/:eventId')
  @ApiOkResponse({ type: [VodDownloadResponseDto] })
  @ApiNoContentResponse({ description: 'The event has no downloads' })
  async listDownloadsForEvent(
    @Param('eventId') eventId: string,
    @Query() page: ListVodDownloadsQueryDto,
    @Res({ passthrough: true }) response: Response,
  ): Promise<VodDownloadResponseDto[] | undefined> {
    const downloads = await this.downloads.list(page, eventId);
    return noContentWhenEmpty(
      response,
      downloads.map((download) => this.downloads.toResponse(download)),
    );
  }

  /** Retry a VOD download by content id: it goes back to the queue. */
  @Get('retry/contentid')
  @ApiOkResponse({ type: VodDownloadResponseDto, description: 'The download, queued again' })
  @ApiNotFoundResponse({ description: 'No download has this content id' })
  @ApiConflictResponse({ description: 'The download is queued or processing' })
  async retryDownloadByContentId(@Query() query: ContentIdQueryDto): Promise<VodDownloadResponseDto> {
    return this.downloads.toResponse(await this.downloads.retry({ contentId: query.id }));
  }

  /** Retry a VOD download by id: it goes back to the queue. */
  @Get('retry/:id')
  @ApiOkResponse({ type: VodDownloadResponseDto, description: 'The download, queued again' })
  @ApiNotFoundResponse({ description: 'No download has this id' })
  @ApiConflictResponse({ description: 'The download is queued or processing' })
  async retryDownload(@Param('id') id: string): Promise<VodDownloadResponseDto> {
    return this.downloads.toResponse(await this.downloads.retry({ id }));
  }

  /** Get a VOD download by id. */
  @Get(':id')
  @ApiOkResponse({ type: VodDownloadResponseDto })
  @ApiNoContentResponse({ description: 'No download has this id' })
  async getDownload(
    @Param('id') id: string,
    @Res({ passthrough: true }) response: Response,
  ): Promise<VodDownloadResponseDto | undefined> {
    return this.respondWith(response, await this.downloads.findById(id));
  }

  /** Delete expired downloads; `buffer` extends the expiry period by that many days. */
  @Delete()
  @HttpCode(410)
  @ApiGoneResponse({ description: 'The expired downloads are gone' })
  async deleteExpiredDownloads(@Query() query: DeleteExpiredQueryDto): Promise<void> {
    await this.downloads.deleteExpired(Number(query.buffer ?? 0));
  }

  /** Delete a VOD download by content id, cancelling it if it is being processed. */
  @Delete('contentid')
  @HttpCode(410)
  @ApiGoneResponse({ description: 'The download is gone' })
  async deleteDownloadByContentId(@Query() query: ContentIdQueryDto): Promise<void> {
    await this.downloads.delete({ contentId: query.id });
  }

  /** Delete every download of an event, expired or not. */
  @Delete('event/:eventId')
  @HttpCode(410)
  @ApiGoneResponse({ description: "The event's downloads are gone" })
  async deleteDownloadsForEvent(@Param('eventId') eventId: string): Promise<void> {
    await this.downloads.deleteForEvent(eventId);
  }

  /** Delete a VOD download by id, cancelling it if it is being processed. */
  @Delete(':id')
  @HttpCode(410)
  @ApiGoneResponse({ description: 'The download is gone' })
  async deleteDownload(@Param('id') id: string): Promise<void> {
    await this.downloads.delete({ id });
  }

  private respondWith(response: Response, download: Parameters<VodDownloadService['toResponse']>[0] | null) {
    return noContentWhenEmpty(response, download && this.downloads.toResponse(download));
  }
}
