import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EventsModule } from '../events/events.module.js';
import { VodDownloadCleanup } from './vod-download.cleanup.js';
import { VodDownloadController } from './vod-download.controller.js';
import { VodDownload } from './vod-download.entity.js';
import { VodDownloadService } from './vod-download.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([VodDownload]), EventsModule],
  controllers: [VodDownloadController],
  providers: [VodDownloadService, VodDownloadCleanup],
  exports: [VodDownloadService],
})
export class VodDownloadModule {}
