import { Controller, Get, NotFoundException, Param, Req, Res } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../common/public.decorator.js';
import { AppConfig } from '../config/app-config.js';
import { sendFile } from '../storage/file-sender.js';
import { accelExpires, accelRedirectUri, DOWNLOAD_FILE_HEADERS, setHeaders } from '../storage/file-serving.js';
import { NO_SUCH_DOWNLOAD, VodDownloadService } from './vod-download.service.js';

/**
 * Serves finished downloads at the `downloadUrl` the API hands out. The service decides first
 * whether the download still exists and has not expired, so a deleted or expired link is a 404 at
 * once. Behind nginx (DOWNLOAD_ACCEL_REDIRECT) nginx then sends the file, reusing this answer until
 * its X-Accel-Expires (deploy/nginx.conf); otherwise sendFile (storage/file-sender.ts) streams it,
 * with Range, If-Range and HEAD support. The query of a signed link (DOWNLOAD_LINK_SECRET) is not
 * looked at: nginx checks the signature alone, and what reaches the service is checked as any link is.
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
    @Req() request: Request,
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
    await sendFile(request, response, file.path, { headers: { 'Content-Type': 'video/mp4' } }).catch(
      (error: { status?: number }) => {
        // The refusal is JSON, not the attachment these headers announced.
        response.removeHeader('Content-Type');
        response.removeHeader('Content-Disposition');
        // Completed in the database but gone from the disk: as gone as a deleted download.
        throw error.status === 404 ? new NotFoundException(NO_SUCH_DOWNLOAD) : error;
      },
    );
  }
}
