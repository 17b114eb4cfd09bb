import { Module } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config.js';
import { AvailabilityChecker } from './availability-checker.js';
import { DistributionJobRetention } from './distribution-job-retention.js';
import { DistributionJob } from './distribution-job.entity.js';
import { DistributionJobsService } from './distribution-jobs.service.js';
import { DistributionController } from './distribution.controller.js';
import { DistributionService } from './distribution.service.js';
import { ElementSources } from './element-sources.js';
import { ServiceRegistryController } from './service-registry.controller.js';
import { DownloadChannelStore } from './download-channel-store.js';

@Module({
  imports: [
    TypeOrmModule.forFeature([DistributionJob]),
    // multipart/form-data bodies: fields only, each at most MAX_BODY_BYTES.
    MulterModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        limits: { fieldSize: config.maxBodyBytes, fields: 10, files: 0, parts: 10 },
      }),
    }),
  ],
  controllers: [DistributionController, ServiceRegistryController],
  providers: [
    DistributionService,
    DistributionJobsService,
    DistributionJobRetention,
    DownloadChannelStore,
    ElementSources,
    AvailabilityChecker,
  ],
})
export class DistributionModule {}
