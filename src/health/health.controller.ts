import { Controller, Get, Logger, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Public } from '../common/public.decorator.js';
import {
  RegistryMembership,
  type MembershipStatus,
} from '../distribution/opencast-registry/registry-membership.service.js';
import { ReadinessChecks } from './readiness-checks.js';

@ApiTags('Health')
@Controller('health')
@Public()
export class HealthController {
  private readonly logger = new Logger(HealthController.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly opencast: RegistryMembership,
    private readonly health: HealthCheckService,
    private readonly checks: ReadinessChecks,
  ) {}

  /** 200 while the database answers; `opencast` says whether this host is registered with its Opencast cluster. */
  @Get()
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  @ApiServiceUnavailableResponse({ description: 'The database does not answer' })
  async checkHealth(): Promise<{ status: 'ok'; opencast?: MembershipStatus }> {
    try {
      await this.dataSource.query('SELECT 1');
    } catch (error) {
      // The error may name hosts, files or users: it goes to the log, not to anyone who asks.
      this.logger.error(`The database does not answer: ${(error as Error).message}`);
      throw new ServiceUnavailableException('The database does not answer');
    }
    const opencast = this.opencast.status();
    return opencast.state === 'standalone' ? { status: 'ok' } : { status: 'ok', opencast };
  }

  /** Liveness: 200 while the process answers at all (restart it when this fails). */
  @Get('live')
  @HealthCheck()
  checkLive(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  /**
   * Readiness: the database, Redis when REDIS_URL is set, DATA_DIR (writable, free space above MIN_FREE_DISK_BYTES), ffmpeg and
   * ffprobe, each check's state in the answer; 503 when one fails (send no traffic here then).
   */
  @Get('ready')
  @HealthCheck()
  checkReady(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.checks.database(),
      () => this.checks.dataDir(),
      () => this.checks.ffmpegTools(),
      ...(this.checks.redisEnabled ? [() => this.checks.redisAnswers()] : []),
    ]);
  }
}
