import { Global, MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AppConfig } from '../config/app-config.js';
import { HttpMetricsMiddleware } from './http-metrics.middleware.js';
import { JobStateGauge } from './job-state-gauge.js';
import { JobTelemetry } from './job-telemetry.js';
import { loggerParams } from './logger-params.js';
import { MetricsController } from './metrics.controller.js';
import { Metrics } from './metrics.js';

/** JSON logs (one line per request), Prometheus metrics at /metrics, and the job telemetry features register through. */
@Global()
@Module({
  imports: [
    LoggerModule.forRootAsync({ inject: [AppConfig], useFactory: (config: AppConfig) => loggerParams(config) }),
  ],
  controllers: [MetricsController],
  providers: [Metrics, JobStateGauge, JobTelemetry, HttpMetricsMiddleware],
  exports: [Metrics, JobTelemetry],
})
export class ObservabilityModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes({ path: '{*splat}', method: RequestMethod.ALL });
  }
}
