import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EventsModule } from '../events/events.module.js';
import { DownloadCallbacks } from './download-callbacks.js';
import { DownloadMailer } from './download-mailer.js';
import { DownloadRenderer } from './download-renderer.js';
import { DownloadFileController } from './download-file.controller.js';
import { VodDownloadCleanup } from './vod-download.cleanup.js';
import { VodDownloadController } from './vod-download.controller.js';
import { VodDownload } from './vod-download.entity.js';
import { VodDownloadProcessor } from './vod-download.processor.js';
import { VodDownloadService } from './vod-download.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([VodDownload]), EventsModule],
  controllers: [VodDownloadController, DownloadFileController],
  providers: [
    VodDownloadService,
    VodDownloadCleanup,
    VodDownloadProcessor,
    DownloadRenderer,
    DownloadCallbacks,
    DownloadMailer,
  ],
  exports: [VodDownloadService],
})
export class VodDownloadModule {}
