import { DOMImplementation, XMLSerializer, type Document, type Element } from '@xmldom/xmldom';
import type { DistributionJob } from './distribution-job.entity.js';
import { XML_DECLARATION } from './mediapackage.js';

export const JOB_NS = 'http://job.opencastproject.org';
/** The job type of Opencast's download distribution service. */
export const DISTRIBUTION_JOB_TYPE = 'org.opencastproject.distribution.download';
/** Opencast's default load of distribute and retract jobs. */
export const JOB_LOAD = 0.1;

/** Everything Opencast's JaxbJob carries, computed from a stored job. */
export interface JobView {
  id: number;
  version: number;
  type: string;
  status: string;
  creator: string;
  organization: string;
  url: string;
  operation: string;
  args: string[];
  createdHost: string;
  processingHost: string | null;
  dateCreated: string;
  dateStarted: string | null;
  dateCompleted: string | null;
  queueTime: number | null;
  runTime: number | null;
  payload: string | null;
  dispatchable: boolean;
  jobLoad: number;
  /** Not in Opencast's job; JAXB skips unknown elements, so its clients are unaffected. */
  failureReason: string | null;
}

export function toJobView(job: DistributionJob, serviceUrl: string): JobView {
  return {
    id: job.id,
    version: job.version,
    type: DISTRIBUTION_JOB_TYPE,
    status: job.status,
    creator: job.creator,
    organization: job.organization,
    url: `${serviceUrl}/services/job/${job.id}.xml`,
    operation: job.operation,
    args: JSON.parse(job.argsJson) as string[],
    createdHost: job.createdHost,
    processingHost: job.processingHost,
    dateCreated: job.dateCreated.toISOString(),
    dateStarted: job.dateStarted?.toISOString() ?? null,
    dateCompleted: job.dateCompleted?.toISOString() ?? null,
    queueTime: job.dateStarted ? job.dateStarted.getTime() - job.dateCreated.getTime() : null,
    runTime: job.dateStarted && job.dateCompleted ? job.dateCompleted.getTime() - job.dateStarted.getTime() : null,
    payload: job.payload,
    dispatchable: true,
    jobLoad: JOB_LOAD,
    failureReason: job.failureReason,
  };
}

/** `<job xmlns="http://job.opencastproject.org" …>` with children in JaxbJob's field order. */
export function renderJobXml(job: JobView): string {
  const document = new DOMImplementation().createDocument(JOB_NS, 'job', null);
  appendJob(document, document.documentElement!, job);
  return XML_DECLARATION + new XMLSerializer().serializeToString(document);
}

/** `<jobs xmlns="http://job.opencastproject.org"><job>…</job>…</jobs>`, as JaxbJobList. */
export function renderJobListXml(jobs: readonly JobView[]): string {
  const document = new DOMImplementation().createDocument(JOB_NS, 'jobs', null);
  for (const job of jobs) {
    const element = document.createElementNS(JOB_NS, 'job');
    document.documentElement!.appendChild(element);
    appendJob(document, element, job);
  }
  return XML_DECLARATION + new XMLSerializer().serializeToString(document);
}

/** The JSON form: `{"job": {…}}` with `args: {"arg": […]}`, as Opencast's JSON job. */
export function renderJobJson(job: JobView): { job: Record<string, unknown> } {
  const { args, ...rest } = job;
  const withoutNulls = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== null));
  return { job: { ...withoutNulls, args: { arg: args } } };
}

export function renderJobListJson(jobs: readonly JobView[]): { jobs: { job: Record<string, unknown>[] } } {
  return { jobs: { job: jobs.map((job) => renderJobJson(job).job) } };
}

function appendJob(document: Document, element: Element, job: JobView): void {
  element.setAttribute('id', String(job.id));
  element.setAttribute('version', String(job.version));
  element.setAttribute('type', job.type);
  element.setAttribute('status', job.status);
  const child = (name: string, value: string | number | boolean | null) => {
    if (value === null) return;
    const node = document.createElementNS(JOB_NS, name);
    node.appendChild(document.createTextNode(String(value)));
    element.appendChild(node);
  };
  child('creator', job.creator);
  child('organization', job.organization);
  child('url', job.url);
  child('operation', job.operation);
  const args = document.createElementNS(JOB_NS, 'args');
  for (const arg of job.args) {
    const node = document.createElementNS(JOB_NS, 'arg');
    node.appendChild(document.createTextNode(arg));
    args.appendChild(node);
  }
  element.appendChild(args);
  child('createdHost', job.createdHost);
  child('processingHost', job.processingHost);
  child('dateCreated', job.dateCreated);
  child('dateStarted', job.dateStarted);
  child('dateCompleted', job.dateCompleted);
  child('queueTime', job.queueTime);
  child('runTime', job.runTime);
  child('payload', job.payload);
  child('dispatchable', job.dispatchable);
  child('jobLoad', job.jobLoad);
  child('failureReason', job.failureReason);
}
