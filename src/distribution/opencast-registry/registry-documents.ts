import { XMLSerializer, type Document, type Element } from '@xmldom/xmldom';
import { JOB_NS } from '../job-document.js';
import { parseUntrustedXml } from '../mediapackage.js';

export const SERVICE_REGISTRY_NS = 'http://serviceregistry.opencastproject.org';

/** What this service reads of a `<service>` registration. */
export interface ServiceRegistration {
  path: string;
  online: boolean;
  jobProducer: boolean;
}

/** What this service reads of a registry job (JaxbJob). */
export interface RegistryJob {
  id: number;
  version: number;
  type: string;
  status: string;
  operation: string;
  args: string[];
  creator: string;
  organization: string;
  payload: string | null;
}

/** The change to write to a registry job: its status, and the result once FINISHED. */
export interface RegistryJobUpdate {
  status: 'RUNNING' | 'FINISHED' | 'FAILED';
  payload?: string;
  processingHost: string;
}

/** The first `<service>` of a `<services>` list (or a lone `<service>`), as JaxbServiceRegistration. */
export function parseServiceRegistration(xml: string): ServiceRegistration | null {
  const root = parseUntrustedXml(xml, 'service registration').documentElement!;
  const service = root.localName === 'service' ? root : childOf(root, 'service', SERVICE_REGISTRY_NS);
  if (!service) return null;
  const text = (name: string) => childOf(service, name, SERVICE_REGISTRY_NS)?.textContent ?? '';
  return { path: text('path'), online: text('online') === 'true', jobProducer: text('jobproducer') === 'true' };
}

export function parseRegistryJob(xml: string): RegistryJob {
  return readJob(jobElement(parseUntrustedXml(xml, 'registry job')));
}

/**
 * The job document with the update applied and everything else kept, for a PUT: Opencast reads
 * the whole job from it (omitting `<args>` would wipe the arguments), children in the job namespace.
 */
export function applyJobUpdate(xml: string, update: RegistryJobUpdate): string {
  const document = parseUntrustedXml(xml, 'registry job');
  const job = jobElement(document);
  job.setAttribute('status', update.status);
  setChild(document, job, 'processingHost', update.processingHost);
  if (update.payload !== undefined) setChild(document, job, 'payload', update.payload);
  return new XMLSerializer().serializeToString(document);
}

/** Whether a registration is this service's, online, as registering it would leave it. */
export function isCurrentRegistration(registration: ServiceRegistration | null, path: string): boolean {
  return registration !== null && registration.online && registration.jobProducer && registration.path === path;
}

const FINAL_STATUSES = new Set(['FINISHED', 'FAILED', 'CANCELLED', 'DELETED']);

/**
 * The update that brings the registry's job to the status this service has, or null when it has
 * it already. A result overrides a final status the registry set on its own (a heartbeat miss or
 * a registration failed the job it could not see running), RUNNING never does.
 */
export function registryUpdateFor(
  current: RegistryJob,
  local: { status: string; payload: string | null },
  processingHost: string,
): RegistryJobUpdate | null {
  if (local.status === 'QUEUED') return null;
  const status = local.status as RegistryJobUpdate['status'];
  if (current.status === status && (status !== 'FINISHED' || current.payload === local.payload)) return null;
  if (status === 'RUNNING' && FINAL_STATUSES.has(current.status)) return null;
  return { status, processingHost, ...(status === 'FINISHED' && { payload: local.payload ?? '' }) };
}

function jobElement(document: Document): Element {
  const root = document.documentElement;
  if (!root || root.localName !== 'job' || root.namespaceURI !== JOB_NS)
    throw new Error(`The registry answered no <job xmlns="${JOB_NS}"> document`);
  return root;
}

function readJob(job: Element): RegistryJob {
  const text = (name: string) => childOf(job, name, JOB_NS)?.textContent ?? null;
  const args: string[] = [];
  const argsElement = childOf(job, 'args', JOB_NS);
  for (let node = argsElement?.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === 1 && (node as Element).namespaceURI === JOB_NS) args.push(node.textContent ?? '');
  }
  return {
    id: Number(job.getAttribute('id')),
    version: Number(job.getAttribute('version')),
    type: job.getAttribute('type') ?? '',
    status: job.getAttribute('status') ?? '',
    operation: text('operation') ?? '',
    args,
    creator: text('creator') ?? '',
    organization: text('organization') ?? '',
    payload: text('payload'),
  };
}

function childOf(element: Element, localName: string, ns: string): Element | undefined {
  for (let node = element.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === 1 && (node as Element).localName === localName && (node as Element).namespaceURI === ns)
      return node as Element;
  }
  return undefined;
}

function setChild(document: Document, parent: Element, localName: string, value: string): void {
  const existing = childOf(parent, localName, JOB_NS);
  const element = existing ?? parent.appendChild(document.createElementNS(JOB_NS, localName));
  while (element.firstChild) element.removeChild(element.firstChild);
  element.appendChild(document.createTextNode(value));
}
