import { lookup } from 'node:dns/promises';
import { availableParallelism, hostname, networkInterfaces, totalmem } from 'node:os';
import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import { RegistryClient, type HostRegistration } from './registry-client.js';
import { isCurrentRegistration } from './registry-documents.js';
import { RegistryJobReporter } from './registry-job-reporter.service.js';

/** Where Opencast's dispatcher and heartbeat find this service on its host. */
export const SERVICE_PATH = '/distribution/download';
const MAX_RETRY_DELAY_MS = 5 * 60 * 1000;
const DRAIN_POLL_MS = 100;

export type MembershipState = 'standalone' | 'registering' | 'registered' | 'left';

export interface MembershipStatus {
  state: MembershipState;
  registry?: string;
  /** Why the last try to register failed, while still registering. */
  lastError?: string;
}

/**
 * This host's membership in the Opencast cluster's service registry: registers host and service
 * at start (retrying with backoff while the registry is unreachable, which stops nothing else),
 * and at shutdown drains in maintenance mode and unregisters.
 */
@Injectable()
export class RegistryMembership implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RegistryMembership.name);
  private state: MembershipState = 'standalone';
  private lastError: string | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private joining: Promise<void> | undefined;
  private stopping = false;

  constructor(
    private readonly config: AppConfig,
    private readonly registry: RegistryClient,
    private readonly reporter: RegistryJobReporter,
  ) {}

  status(): MembershipStatus {
    if (this.state === 'standalone') return { state: this.state };
    return {
      state: this.state,
      registry: this.config.opencast.url,
      ...(this.state === 'registering' && this.lastError && { lastError: this.lastError }),
    };
  }

  onApplicationBootstrap(): void {
    if (!this.registry.enabled) return;
    this.state = 'registering';
    this.joining = this.join(0);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.retryTimer);
    await this.joining;
    if (this.state === 'registered') await this.leave();
  }

  private async join(attempt: number): Promise<void> {
    try {
      await this.register();
    } catch (error) {
      this.lastError = (error as Error).message;
      if (this.stopping) return;
      const delayMs = Math.min(this.config.opencast.retryDelayMs * 2 ** attempt, MAX_RETRY_DELAY_MS);
      this.logger.warn(`Cannot register with the Opencast registry (${this.lastError}); trying again in ${delayMs} ms`);
      this.retryTimer = setTimeout(() => (this.joining = this.join(attempt + 1)), delayMs);
      return;
    }
    this.state = 'registered';
    this.lastError = undefined;
    this.logger.log(
      `Registered ${this.config.publicUrl}${SERVICE_PATH} with the Opencast registry at ${this.config.opencast.url}`,
    );
    try {
      await this.reporter.reportUnreportedResults();
    } catch (error) {
      this.logger.error(`Cannot queue the reports of earlier results: ${(error as Error).message}`);
    }
  }

  /**
   * Registering a service makes the registry fail the jobs it still sees running on it, so an
   * existing registration that is online already is kept: a restart then finishes and reports
   * the jobs it had accepted instead of seeing them failed.
   */
  private async register(): Promise<void> {
    const host = this.config.publicUrl;
    await this.registry.registerHost(await this.hostRegistration());
    if (isCurrentRegistration(await this.registry.findServiceRegistration(host), SERVICE_PATH)) return;
    await this.registry.registerService(host, SERVICE_PATH);
  }

  /** Maintenance first, so no more jobs come; then the jobs in flight get the drain timeout to be reported. */
  private async leave(): Promise<void> {
    const host = this.config.publicUrl;
    try {
      await this.registry.setMaintenance(host, true);
      const deadline = Date.now() + this.config.opencast.drainTimeoutMs;
      let unreported = await this.reporter.countUnreported();
      while (unreported > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
        unreported = await this.reporter.countUnreported();
      }
      if (unreported > 0)
        this.logger.warn(
          `Leaving the Opencast registry with ${unreported} job(s) not finished; the registry fails them`,
        );
      await this.registry.unregisterService(host);
      await this.registry.unregisterHost(host);
      this.state = 'left';
      this.logger.log(`Unregistered ${host} from the Opencast registry`);
    } catch (error) {
      this.logger.error(`Cannot unregister from the Opencast registry: ${(error as Error).message}`);
    }
  }

  private async hostRegistration(): Promise<HostRegistration> {
    const cores = availableParallelism();
    return {
      host: this.config.publicUrl,
      address: await addressOf(new URL(this.config.publicUrl).hostname),
      nodeName: hostname(),
      memory: totalmem(),
      cores,
      maxLoad: this.config.opencast.maxLoad ?? cores,
    };
  }
}

/** The IP address PUBLIC_URL names, else this machine's first external one. */
async function addressOf(host: string): Promise<string> {
  try {
    return (await lookup(host.replace(/^\[|\]$/g, ''))).address;
  } catch {
    const external = Object.values(networkInterfaces())
      .flat()
      .find((entry) => entry && !entry.internal);
    return external?.address ?? '127.0.0.1';
  }
}
