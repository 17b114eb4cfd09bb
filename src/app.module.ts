import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { AllExceptionsFilter } from './common/all-exceptions.filter.js';
import { ApiKeyGuard } from './common/api-key.guard.js';
import { AppValidationPipe } from './common/app-validation.pipe.js';
import { DigestAuthenticator } from './common/digest-authenticator.js';
import { ConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { DistributionModule } from './distribution/distribution.module.js';
import { EventsModule } from './events/events.module.js';
import { HealthModule } from './health/health.module.js';
import { JobsModule } from './jobs/jobs.module.js';
import { MailModule } from './mail/mail.module.js';
import { MediaModule } from './media/media.module.js';
import { ObservabilityModule } from './observability/observability.module.js';
import { QueuesDashboardModule } from './queues-dashboard/queues-dashboard.module.js';
import { StorageModule } from './storage/storage.module.js';
import { VodDownloadModule } from './vod-download/vod-download.module.js';

@Module({
  imports: [
    ConfigModule,
    ObservabilityModule,
    DatabaseModule,
    JobsModule,
    StorageModule,
    MailModule,
    MediaModule,
    ScheduleModule.forRoot(),
    EventsModule,
    VodDownloadModule,
    DistributionModule,
    QueuesDashboardModule,
    HealthModule,
  ],
  providers: [
    DigestAuthenticator,
    { provide: APP_GUARD, useClass: ApiKeyGuard },
    { provide: APP_FILTER, useClass: AllExceptionsFilter },
    {
      provide: APP_PIPE,
      useValue: new AppValidationPipe({
        whitelist: true,
        forbidNonWhitelisted: true,
        transform: true,
        // Messages name the field, e.g. "downloadClips.0.eventId must be a UUID".
        validationError: { target: false, value: false },
      }),
    },
  ],
})
export class AppModule {}
