import { expect } from 'vitest';
import { fetchWithDigest } from '../../src/common/digest-client.js';
import { parseJob, parseXml, type ParsedJob } from './distribution.js';
import { DISTRIBUTION_TYPE, OpencastRegistry, SYSTEM_USER } from './opencast-registry.js';
import { SERVICE_REGISTRY_NS } from './opencast-registry-xml.js';

const FINAL = new Set(['FINISHED', 'FAILED', 'CANCELLED', 'DELETED']);

/** The workflow operation on whose behalf a job is asked for (the headers of Opencast's trusted client). */
export interface WorkflowContext {
  organization: string;
  user: string;
  currentJobId: number;
}

export interface BarrierResult {
  job: ParsedJob;
  /** Every status the barrier saw, in order, repeats collapsed. */
  seen: string[];
}

/**
 * What an Opencast node does to use a download distribution service elsewhere in the cluster:
 * DownloadDistributionServiceRemoteImpl finds a host through the registry's available.xml and
 * posts there as the system user (preflight, then Digest, with the workflow's headers);
 * JobBarrier then polls the job **in the registry** until it ends.
 */
export class OpencastRemoteClient {
  private readonly workflow: WorkflowContext;

  /** By default on behalf of a new workflow operation of `admin`, a job in the registry. */
  constructor(
    private readonly registry: OpencastRegistry,
    workflow: Partial<WorkflowContext> = {},
  ) {
    this.workflow = {
      organization: 'mh_default_org',
      user: 'admin',
      currentJobId: workflow.currentJobId ?? registry.createWorkflowJob().id,
      ...workflow,
    };
  }

  get currentJobId(): number {
    return this.workflow.currentJobId;
  }

  /** POST `{host}{path}/` (Distribute) or `/retract`; answers the response and the job it names. */
  async submit(
    operation: 'Distribute' | 'Retract',
    fields: { mediapackage: string; channelId: string; elementIds: string[]; checkAvailability?: boolean },
  ): Promise<{ status: number; body: string }> {
    const [service] = await this.availableServices();
    expect(service, 'no download distribution service is available').toBeDefined();
    const form = new URLSearchParams({
      mediapackage: fields.mediapackage,
      channelId: fields.channelId,
      elementId: JSON.stringify(fields.elementIds),
    });
    if (operation === 'Distribute') {
      form.set('checkAvailability', String(fields.checkAvailability ?? false));
      form.set('preserveReference', 'false');
    }
    const path = operation === 'Distribute' ? '/' : '/retract';
    const response = await fetchWithDigest(new URL(`${service.host}${service.path}${path}`), {
      method: 'POST',
      body: form,
      user: SYSTEM_USER,
      timeoutMs: 10_000,
      headers: {
        'X-Opencast-Matterhorn-Organization': this.workflow.organization,
        'X-Opencast-Matterhorn-User': this.workflow.user,
        'X-Opencast-Matterhorn-Current-Job-Id': String(this.workflow.currentJobId),
      },
    });
    return { status: response.status, body: await response.text() };
  }

  /** Submits and waits like JobBarrier; fails the test unless the POST answered 200 with a job. */
  async run(
    operation: 'Distribute' | 'Retract',
    fields: Parameters<OpencastRemoteClient['submit']>[1],
  ): Promise<BarrierResult> {
    const { status, body } = await this.submit(operation, fields);
    expect(status, body).toBe(200);
    return this.waitFor(parseJob(body).id);
  }

  /** JobBarrier: reads the job from the registry until it is FINISHED or fails (unknown ids count as DELETED). */
  async waitFor(id: number, timeoutMs = 15_000): Promise<BarrierResult> {
    const seen: string[] = [];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const response = await this.registryGet(`/services/job/${id}.xml`);
      const job = response.status === 404 ? undefined : parseJob(await response.text());
      const status = job?.status ?? 'DELETED';
      if (seen.at(-1) !== status) seen.push(status);
      if (FINAL.has(status)) return { job: job!, seen };
      if (Date.now() > deadline) throw new Error(`Job ${id} did not end in ${timeoutMs} ms: ${seen.join(' → ')}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** getServiceRegistrationsByLoad: the hosts and paths of available.xml, least loaded first. */
  async availableServices(): Promise<{ host: string; path: string }[]> {
    const response = await this.registryGet(`/services/available.xml?serviceType=${DISTRIBUTION_TYPE}`);
    const root = parseXml(await response.text()).documentElement!;
    const services: { host: string; path: string }[] = [];
    for (const service of Array.from(root.getElementsByTagNameNS(SERVICE_REGISTRY_NS, 'service'))) {
      const text = (name: string) => service.getElementsByTagNameNS(SERVICE_REGISTRY_NS, name)[0]?.textContent ?? '';
      services.push({ host: text('host'), path: text('path') });
    }
    return services;
  }

  private registryGet(path: string): Promise<Response> {
    return fetchWithDigest(new URL(path, this.registry.url), { method: 'GET', user: SYSTEM_USER, timeoutMs: 5000 });
  }
}
