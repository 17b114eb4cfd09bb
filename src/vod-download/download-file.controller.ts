import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../common/public.decorator.js';
import { AppConfig } from '../config/app-config.js';
import {
  accelExpires,
  accelRedirectUri,
  DOWNLOAD_FILE_HEADERS,
  FILE_STREAM_HIGH_WATER_MARK,
  setHeaders,
} from '../storage/file-serving.js';
import { NO_SUCH_DOWNLOAD, VodDownloadService } from './vod-download.service.js';

/**
 * Serves finished downloads at the `downloadUrl` the API hands out. The service decides first
 * whether the download still exists and has not expired, so a deleted or expired link is a 404 at
 * once. Behind nginx (DOWNLOAD_ACCEL_REDIRECT) nginx then sends the file, reusing this answer until
 * its X-Accel-Expires (deploy/nginx.conf); otherwise Express's sendFile streams it, with Range,
 * If-Range and HEAD support. The query of a signed link (DOWNLOAD_LINK_SECRET) is not looked at:
 * nginx checks the signature alone, and what reaches the service is checked as any link is.
 */
@ApiTags('VOD downloads')
@Controller('downloads')
@Public()
@ApiProduces('video/mp4')
export class DownloadFileController {
  constructor(
    private readonly downloads: VodDownloadService,
    private readonly config: AppConfig,
  ) {}

  /** Download a finished VOD download's MP4 (no API key needed; Range requests supported). */
  @Get(':folder/:fileName')
  @ApiOkResponse({ description: 'The MP4 (206 with a Range header)' })
  @ApiNotFoundResponse({ description: 'No such download, or it expired or was deleted' })
  async downloadPublishedFile(
    @Param('folder') folder: string,
    @Param('fileName') fileName: string,
    @Res() response: Response,
  ): Promise<void> {
    const file = await this.downloads.publishedFile(folder, fileName);
    response.attachment(fileName);
    setHeaders(response, DOWNLOAD_FILE_HEADERS);
    const accelPrefix = this.config.accelRedirectPrefix;
    if (accelPrefix) {
      response.type('video/mp4');
      response.setHeader('X-Accel-Redirect', accelRedirectUri(accelPrefix, ['downloads', folder, fileName]));
      // nginx keeps time on the wall clock; the expiry was counted on the business clock.
      response.setHeader('X-Accel-Expires', accelExpires(Date.now(), file.expiresInMs));
      response.end();
      return;
    }
    await new Promise<void>((resolve, reject) => {
      response.sendFile(
        file.path,
        {
          headers: { 'Content-Type': 'video/mp4' },
          dotfiles: 'deny',
          acceptRanges: true,
          // Passed on to the file's read stream by send; Express's option type does not list it.
          ...{ highWaterMark: FILE_STREAM_HIGH_WATER_MARK },
        },
        (error?: Error & { status?: number; code?: string }) => {
          // A client that went away (ECONNABORTED) is owed no answer.
          if (!error || response.headersSent || error.code === 'ECONNABORTED') resolve();
          // Completed in the database but gone from the disk: as gone as a deleted download.
          else if (error.status === 404) reject(new NotFoundException(NO_SUCH_DOWNLOAD));
          else reject(error);
        },
      );
    });
  }
}
