import type { Element } from '@xmldom/xmldom';
import type { HostRegistration } from '../../src/distribution/opencast-registry/registry-client.js';
import { JOB_NS, parseXml } from './distribution.js';

/** Opencast's system account, which every call to the registry and from it uses. */
export const SYSTEM_USER = { username: 'opencast_system_account', password: 'CHANGE_ME' };
export const DISTRIBUTION_TYPE = 'org.opencastproject.distribution.download';
export const WORKFLOW_TYPE = 'org.opencastproject.workflow';

/** Failed jobs after which a service goes from WARNING to ERROR (Opencast: max.attempts). */
const FAILURES_BEFORE_ERROR = 2;

export type JobStatus =
  'INSTANTIATED' | 'QUEUED' | 'DISPATCHING' | 'RUNNING' | 'WAITING' | 'RESTART' | 'FINISHED' | 'FAILED' | 'CANCELLED';

/** A host registration: the form fields of `registerhost`, and the registry's flags. */
export interface RegistryHost extends HostRegistration {
  online: boolean;
  maintenance: boolean;
}

export interface RegistryService {
  type: string;
  host: string;
  path: string;
  jobProducer: boolean;
  online: boolean;
  state: 'NORMAL' | 'WARNING' | 'ERROR';
  failures: number;
}

export interface RegistryJob {
  id: number;
  version: number;
  type: string;
  status: JobStatus;
  operation: string;
  args: string[];
  payload: string | null;
  creator: string;
  organization: string;
  parentId: number | null;
  dispatchable: boolean;
  createdHost: string;
  /** The service (type@host) that runs it. */
  processor: string | null;
  jobLoad: number;
  dateCreated: string;
  dateStarted: string | null;
  dateCompleted: string | null;
}

export class RegistryStateError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

const keyOf = (type: string, host: string) => `${type}@${host}`;

/**
 * The state of Opencast's service registry (ServiceRegistryJpaImpl) that its REST endpoint and
 * dispatcher work on: hosts, service registrations and jobs, with the rules this service meets.
 */
export class RegistryState {
  readonly hosts = new Map<string, RegistryHost>();
  readonly services = new Map<string, RegistryService>();
  readonly jobs = new Map<number, RegistryJob>();
  private nextJobId = 4711;

  registerHost(host: Omit<RegistryHost, 'online' | 'maintenance'>): void {
    const existing = this.hosts.get(host.host);
    this.hosts.set(host.host, { maintenance: false, ...existing, ...host, online: true });
  }

  /** As registerService: first the service's running jobs are cleaned, then it is online. */
  registerService(type: string, host: string, path: string, jobProducer: boolean): RegistryService {
    if (!this.hosts.has(host)) throw new RegistryStateError(`No host registration for ${host}`, 500);
    this.cleanRunningJobs(type, host);
    const existing = this.services.get(keyOf(type, host));
    const service: RegistryService = existing
      ? Object.assign(existing, { path, jobProducer, online: true })
      : { type, host, path, jobProducer, online: true, state: 'NORMAL', failures: 0 };
    this.services.set(keyOf(type, host), service);
    return service;
  }

  unregisterService(type: string, host: string): void {
    const service = this.services.get(keyOf(type, host));
    if (service) service.online = false;
    this.cleanRunningJobs(type, host);
  }

  unregisterHost(host: string): void {
    const registration = this.hosts.get(host);
    if (!registration) throw new RegistryStateError(`Host ${host} is not registered`, 404);
    registration.online = false;
    for (const service of this.services.values()) if (service.host === host) this.unregisterService(service.type, host);
  }

  setMaintenance(host: string, maintenance: boolean): void {
    const registration = this.hosts.get(host);
    if (!registration) throw new RegistryStateError(`Host ${host} is not registered`, 404);
    registration.maintenance = maintenance;
  }

  sanitize(type: string, host: string): void {
    const service = this.services.get(keyOf(type, host));
    if (service) Object.assign(service, { state: 'NORMAL', failures: 0 });
  }

  service(type: string, host: string): RegistryService | undefined {
    return this.services.get(keyOf(type, host));
  }

  /** available.xml: online services on online hosts out of maintenance and not in ERROR, least loaded first. */
  available(type: string): RegistryService[] {
    return [...this.services.values()]
      .filter((service) => service.type === type && service.online && service.state !== 'ERROR')
      .filter((service) => {
        const host = this.hosts.get(service.host);
        return host?.online && !host.maintenance;
      })
      .sort((a, b) => this.loadOf(a.host) - this.loadOf(b.host));
  }

  createJob(
    fields: Pick<RegistryJob, 'type' | 'operation' | 'args' | 'payload' | 'createdHost' | 'jobLoad'> & {
      start: boolean;
      creator: string;
      organization: string;
      parentId: number | null;
    },
  ): RegistryJob {
    const creating = this.services.get(keyOf(fields.type, fields.createdHost));
    if (!creating) throw new RegistryStateError(`No service of type ${fields.type} on ${fields.createdHost}`, 500);
    if (fields.parentId !== null && !this.jobs.has(fields.parentId))
      throw new RegistryStateError(`The parent job ${fields.parentId} does not exist`, 500);
    const { start, ...rest } = fields;
    const job: RegistryJob = {
      ...rest,
      id: this.nextJobId++,
      version: 1,
      status: start ? 'QUEUED' : 'INSTANTIATED',
      dispatchable: start,
      // A job that is not dispatchable is handled by the service that created it.
      processor: start ? null : keyOf(fields.type, fields.createdHost),
      dateCreated: new Date().toISOString(),
      dateStarted: null,
      dateCompleted: null,
    };
    this.jobs.set(job.id, job);
    return job;
  }

  job(id: number): RegistryJob {
    const job = this.jobs.get(id);
    if (!job) throw new RegistryStateError(`Job ${id} not found`, 404);
    return job;
  }

  /**
   * updateJob from a PUT: the whole job is read from the document, namespace-aware (children
   * outside the job namespace are not read, so an unqualified `<payload>` is lost, and a missing
   * `<args>` wipes the arguments); a stale version fails the update.
   */
  updateJob(id: number, jobXml: string): void {
    const current = this.job(id);
    const root = parseXml(jobXml).documentElement!;
    if (root.localName !== 'job' || root.namespaceURI !== JOB_NS)
      throw new RegistryStateError('Not a job document', 500);
    const version = Number(root.getAttribute('version'));
    if (version !== current.version)
      throw new RegistryStateError(`Optimistic lock: job ${id} is at version ${current.version}, not ${version}`, 500);
    const status = root.getAttribute('status') as JobStatus;
    const processingHost = text(root, 'processingHost');
    const processor = processingHost ? keyOf(current.type, processingHost) : current.processor;
    const now = new Date().toISOString();
    Object.assign(current, {
      version: current.version + 1,
      status,
      payload: text(root, 'payload'),
      args: children(root, 'args').flatMap((args) => children(args, 'arg').map((arg) => arg.textContent ?? '')),
      processor,
      dateStarted: status === 'RUNNING' ? (current.dateStarted ?? now) : current.dateStarted,
      dateCompleted: status === 'FINISHED' || status === 'FAILED' ? now : current.dateCompleted,
    });
    this.recordOutcome(current);
  }

  /** What another writer does in between: the job's version moves on. */
  touch(id: number): void {
    this.job(id).version++;
  }

  /** The dispatcher's bookkeeping before it posts to a host. */
  startDispatch(job: RegistryJob, service: RegistryService): void {
    Object.assign(job, { status: 'DISPATCHING', processor: keyOf(service.type, service.host) });
    job.version++;
  }

  endDispatch(job: RegistryJob, outcome: 'accepted' | 'refused' | 'busy'): void {
    if (outcome === 'accepted') return;
    Object.assign(job, outcome === 'refused' ? { status: 'FAILED' } : { status: 'QUEUED', processor: null });
    job.version++;
  }

  dispatchable(): RegistryJob[] {
    return [...this.jobs.values()].filter(
      (job) => job.dispatchable && (job.status === 'QUEUED' || job.status === 'RESTART'),
    );
  }

  /** cleanRunningJobs: the jobs the registry saw running on the service become RESTART (dispatchable) or FAILED. */
  private cleanRunningJobs(type: string, host: string): void {
    for (const job of this.jobs.values()) {
      if (job.processor !== keyOf(type, host) || !['RUNNING', 'DISPATCHING', 'WAITING'].includes(job.status)) continue;
      Object.assign(job, job.dispatchable ? { status: 'RESTART', processor: null } : { status: 'FAILED' });
      job.version++;
    }
  }

  /** Failed jobs push their service into WARNING, then ERROR; a finished one brings WARNING back to NORMAL. */
  private recordOutcome(job: RegistryJob): void {
    const service = job.processor ? this.services.get(job.processor) : undefined;
    if (!service) return;
    if (job.status === 'FAILED') {
      service.failures++;
      service.state = service.failures >= FAILURES_BEFORE_ERROR ? 'ERROR' : 'WARNING';
    } else if (job.status === 'FINISHED' && service.state === 'WARNING') {
      Object.assign(service, { state: 'NORMAL', failures: 0 });
    }
  }

  private loadOf(host: string): number {
    let load = 0;
    for (const job of this.jobs.values())
      if (job.processor?.endsWith(`@${host}`) && ['RUNNING', 'DISPATCHING'].includes(job.status)) load += job.jobLoad;
    return load;
  }
}

function children(element: Element, localName: string): Element[] {
  const found: Element[] = [];
  for (let node = element.firstChild; node; node = node.nextSibling) {
    const candidate = node as Element;
    if (node.nodeType === 1 && candidate.localName === localName && candidate.namespaceURI === JOB_NS)
      found.push(candidate);
  }
  return found;
}

function text(element: Element, localName: string): string | null {
  return children(element, localName)[0]?.textContent ?? null;
}
