import { Controller, Get, Logger, NotFoundException, Param, Query, Req, Res } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../common/public.decorator.js';
import { AppConfig } from '../config/app-config.js';
import { sendFile } from '../storage/file-sender.js';
import { isSignedWith, SIGNED_LINK_SEGMENT } from '../storage/signed-link.js';
import { accelExpires, accelRedirectUri, DOWNLOAD_FILE_HEADERS, setHeaders } from '../storage/file-serving.js';
import { NO_SUCH_DOWNLOAD, VodDownloadService } from './vod-download.service.js';

/**
 * Serves finished downloads at the `downloadUrl` the API hands out. The service decides first
 * whether the download still exists and has not expired, so a deleted or expired link is a 404 at
 * once. Behind nginx (DOWNLOAD_ACCEL_REDIRECT) nginx then sends the file, reusing this answer until
 * its X-Accel-Expires (deploy/nginx.conf); otherwise sendFile (storage/file-sender.ts) streams it,
 * with Range, If-Range and HEAD support.
 */
@ApiTags('VOD downloads')
@Controller()
@Public()
@ApiProduces('video/mp4')
export class DownloadFileController {
  private readonly logger = new Logger(DownloadFileController.name);
  /** When the last warning about a signature DOWNLOAD_LINK_SECRET does not make was written. */
  private lastSignatureWarningMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly downloads: VodDownloadService,
    private readonly config: AppConfig,
  ) {}

  /** Download a finished VOD download's MP4 (no API key needed; Range requests supported). */
  @Get('downloads/:folder/:fileName')
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

  /**
   * Download a finished VOD download's MP4 by the signed link handed out with DOWNLOAD_LINK_SECRET.
   * nginx checks the signature and sends the file itself. What it hands here (expired, not on disk,
   * a signature it does not make) is answered as the link without `/signed` is: the database decides.
   */
  @Get(`${SIGNED_LINK_SEGMENT}/downloads/:folder/:fileName`)
  @ApiQuery({ name: 'expires', description: 'The last unix second nginx sends the file in', example: 1796731199 })
  @ApiQuery({ name: 'md5', description: "nginx's secure_link signature", example: 'EpbXYb0_Lwg2oJbkyJKabQ' })
  @ApiOkResponse({ description: 'The MP4 (206 with a Range header)' })
  @ApiNotFoundResponse({ description: 'No such download, or it expired or was deleted' })
  async downloadSignedFile(
    @Param('folder') folder: string,
    @Param('fileName') fileName: string,
    @Query('expires') expires: unknown,
    @Query('md5') md5: unknown,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const secret = this.config.downloadLinkSecret;
    // The path as sent, which nginx decodes into the $uri it signs.
    if (secret && !isSignedWith(request.path, expires, md5, secret)) this.warnOfForeignSignature();
    await this.downloadPublishedFile(folder, fileName, request, response);
  }

  /** At most once a minute: a misconfigured nginx would otherwise write one per request. */
  private warnOfForeignSignature(): void {
    if (Date.now() - this.lastSignatureWarningMs < 60_000) return;
    this.lastSignatureWarningMs = Date.now();
    this.logger.warn(
      'A signed download link came with a signature DOWNLOAD_LINK_SECRET does not make: signed with an earlier ' +
        'secret, changed, or nginx\'s secret differs (README, "Signed links"). Such links are checked as unsigned ' +
        'links are, by the service on every request. (At most one such warning a minute.)',
    );
  }
}
