import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
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
import { DispatchController } from './dispatch.controller.js';
import { PUBLISHED_FILES_PATH, PublishedFilesMiddleware } from './published-files.middleware.js';
import { RegistryClient } from './opencast-registry/registry-client.js';
import { RegistryJobReporter } from './opencast-registry/registry-job-reporter.service.js';
import { RegistryMembership } from './opencast-registry/registry-membership.service.js';

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
  controllers: [DistributionController, DispatchController, ServiceRegistryController],
  providers: [
    DistributionService,
    DistributionJobsService,
    DistributionJobRetention,
    DownloadChannelStore,
    ElementSources,
    AvailabilityChecker,
    RegistryClient,
    RegistryJobReporter,
    RegistryMembership,
  ],
  // /health tells whether this host is registered with the Opencast cluster.
  exports: [RegistryMembership],
})
export class DistributionModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(PublishedFilesMiddleware)
      .forRoutes({ path: `${PUBLISHED_FILES_PATH}/{*path}`, method: RequestMethod.GET });
  }
}
