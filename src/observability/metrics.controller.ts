import { Controller, Get, Header, Headers, UnauthorizedException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { timingSafeEqual } from 'node:crypto';
import { Public } from '../common/public.decorator.js';
import { AppConfig } from '../config/app-config.js';
import { Registry } from 'prom-client';
import { Metrics } from './metrics.js';

/** Prometheus' scrape endpoint; METRICS_TOKEN, when set, is the Bearer token it needs (API keys do not open it). */
@ApiExcludeController()
@Controller('metrics')
@Public()
export class MetricsController {
  constructor(
    private readonly metrics: Metrics,
    private readonly config: AppConfig,
  ) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  async scrape(@Headers('authorization') authorization: string | undefined): Promise<string> {
    if (!this.allows(authorization))
      throw new UnauthorizedException('GET /metrics needs Authorization: Bearer <METRICS_TOKEN>');
    return this.metrics.registry.metrics();
  }

  private allows(authorization: string | undefined): boolean {
    const token = this.config.metricsToken;
    if (!token) return true;
    const given = Buffer.from(/^Bearer (.+)$/i.exec(authorization ?? '')?.[1] ?? '');
    const expected = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
