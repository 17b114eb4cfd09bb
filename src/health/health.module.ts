import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DistributionModule } from '../distribution/distribution.module.js';
import { HealthController } from './health.controller.js';
import { ReadinessChecks } from './readiness-checks.js';

/** /health, /health/live and /health/ready: mounted in every process, worker-only ones included. */
@Module({
  // DistributionModule: /health says whether this host is registered with its Opencast cluster.
  imports: [TerminusModule.forRoot({ logger: false }), DistributionModule],
  controllers: [HealthController],
  providers: [ReadinessChecks],
})
export class HealthModule {}
