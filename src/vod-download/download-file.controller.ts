import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../common/public.decorator.js';
import { NO_SUCH_DOWNLOAD, VodDownloadService } from './vod-download.service.js';

/**
 * Serves finished downloads at the `downloadUrl` the API hands out. Express's sendFile streams the
 * file with Range, If-Range and HEAD support; the database decides first whether the download
 * still exists and has not expired, so a deleted or expired link is a 404 at once.
 */
@ApiTags('VOD downloads')
@Controller('downloads')
@Public()
@ApiProduces('video/mp4')
export class DownloadFileController {
  constructor(private readonly downloads: VodDownloadService) {}

  /** Download a finished VOD download's MP4 (no API key needed; Range requests supported). */
  @Get(':folder/:fileName')
  @ApiOkResponse({ description: 'The MP4 (206 with a Range header)' })
  @ApiNotFoundResponse({ description: 'No such download, or it expired or was deleted' })
  async downloadPublishedFile(
    @Param('folder') folder: string,
    @Param('fileName') fileName: string,
    @Res() response: Response,
  ): Promise<void> {
    const path = await this.downloads.publishedFilePath(folder, fileName);
    response.attachment(fileName);
    await new Promise<void>((resolve, reject) => {
      response.sendFile(
        path,
        { headers: { 'Content-Type': 'video/mp4' }, dotfiles: 'deny', acceptRanges: true },
        (error?: Error & { status?: number }) => {
          if (!error || response.headersSent) resolve();
          // Completed in the database but gone from the disk: as gone as a deleted download.
          else if (error.status === 404) reject(new NotFoundException(NO_SUCH_DOWNLOAD));
          else reject(error);
        },
      );
    });
  }
}
