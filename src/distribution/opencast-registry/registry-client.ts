import { Injectable } from '@nestjs/common';
import { fetchWithDigest } from '../../common/digest-client.js';
import { AppConfig } from '../../config/app-config.js';
import { DISTRIBUTION_JOB_TYPE } from '../job-document.js';
import { parseServiceRegistration, type ServiceRegistration } from './registry-documents.js';

const REQUEST_TIMEOUT_MS = 15_000;

/** The headers Opencast's HTTP client sends with every request: who acts, for which workflow operation. */
export const ORGANIZATION_HEADER = 'X-Opencast-Matterhorn-Organization';
export const USER_HEADER = 'X-Opencast-Matterhorn-User';
export const CURRENT_JOB_HEADER = 'X-Opencast-Matterhorn-Current-Job-Id';
export type WorkflowHeaders = Partial<Record<string, string>>;

/** An answer of the registry that is not the one asked for; `status` 0 when it could not be reached. */
export class RegistryError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export interface HostRegistration {
  host: string;
  address: string;
  nodeName: string;
  memory: number;
  cores: number;
  maxLoad: number;
}

export interface NewRegistryJob {
  operation: string;
  args: readonly string[];
  jobLoad: number;
}

/**
 * Opencast's service registry (`/services` on OPENCAST_URL), spoken as Opencast's own trusted HTTP
 * client speaks it: every request first without a body to get the Digest challenge, then again
 * with the system account's credentials.
 */
@Injectable()
export class RegistryClient {
  constructor(private readonly config: AppConfig) {}

  get enabled(): boolean {
    return Boolean(this.config.opencast.url);
  }

  async registerHost(host: HostRegistration): Promise<void> {
    await this.send('POST', '/services/registerhost', form({ ...host }), [204]);
  }

  /** The registration of this service type on `host`, or null when there is none. */
  async findServiceRegistration(host: string): Promise<ServiceRegistration | null> {
    const query = new URLSearchParams({ serviceType: DISTRIBUTION_JOB_TYPE, host });
    const response = await this.send('GET', `/services/services.xml?${query}`, undefined, [200, 404]);
    return response.status === 404 ? null : parseServiceRegistration(await response.text());
  }

  async registerService(host: string, path: string): Promise<void> {
    const fields = { serviceType: DISTRIBUTION_JOB_TYPE, host, path, jobProducer: 'true' };
    await this.send('POST', '/services/register', form(fields), [200]);
  }

  async setMaintenance(host: string, maintenance: boolean): Promise<void> {
    await this.send('POST', '/services/maintenance', form({ host, maintenance: String(maintenance) }), [204]);
  }

  async unregisterService(host: string): Promise<void> {
    await this.send('POST', '/services/unregister', form({ serviceType: DISTRIBUTION_JOB_TYPE, host }), [204]);
  }

  async unregisterHost(host: string): Promise<void> {
    await this.send('POST', '/services/unregisterhost', form({ host }), [204]);
  }

  /**
   * Creates a job this host runs itself (`start=false`: INSTANTIATED, not dispatchable, as
   * Opencast's own services create the jobs of their REST endpoints). Answers the job document.
   */
  async createJob(host: string, job: NewRegistryJob, headers: WorkflowHeaders): Promise<string> {
    const body = form({ jobType: DISTRIBUTION_JOB_TYPE, host, operation: job.operation, start: 'false' });
    for (const arg of job.args) body.append('arg', arg);
    body.set('jobLoad', String(job.jobLoad));
    const response = await this.send('POST', '/services/job', body, [201], headers);
    return response.text();
  }

  async getJob(id: number): Promise<string> {
    return (await this.send('GET', `/services/job/${id}.xml`, undefined, [200])).text();
  }

  /** Writes the whole job; 500 (a RegistryError) when its version is stale, as for any other error. */
  async putJob(id: number, jobXml: string): Promise<void> {
    await this.send('PUT', `/services/job/${id}.xml`, form({ job: jobXml }), [204]);
  }

  private async send(
    method: string,
    path: string,
    body: URLSearchParams | undefined,
    expected: number[],
    extraHeaders: WorkflowHeaders = {},
  ): Promise<Response> {
    const { digestUser, digestPassword } = this.config.distribution;
    const url = new URL(path, `${this.config.opencast.url}/`);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(extraHeaders)) if (value) headers[name] = value;
    let response: Response;
    try {
      response = await fetchWithDigest(url, {
        method,
        body,
        headers,
        user: { username: digestUser!, password: digestPassword! },
        timeoutMs: REQUEST_TIMEOUT_MS,
      });
    } catch (error) {
      const cause = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
      throw new RegistryError(`The Opencast registry at ${url.origin} cannot be reached: ${cause}`, 0);
    }
    if (!expected.includes(response.status)) {
      const detail = (await response.text()).slice(0, 300);
      throw new RegistryError(
        `${method} ${path}: the registry answered ${response.status} ${detail}`.trim(),
        response.status,
      );
    }
    return response;
  }
}

function form(fields: Record<string, string | number>): URLSearchParams {
  return new URLSearchParams(Object.entries(fields).map(([name, value]): [string, string] => [name, String(value)]));
}
