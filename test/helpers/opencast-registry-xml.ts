import { escapeXml, JOB_NS } from './distribution.js';
import type { RegistryHost, RegistryJob, RegistryService } from './opencast-registry-state.js';

export const SERVICE_REGISTRY_NS = 'http://serviceregistry.opencastproject.org';

/** JaxbJob as the registry answers it: `<job xmlns="http://job.opencastproject.org">`, children qualified. */
export function renderJob(job: RegistryJob, baseUrl: string): string {
  const child = (name: string, value: string | number | boolean | null) =>
    value === null ? '' : `<${name}>${escapeXml(String(value))}</${name}>`;
  const processingHost = job.processor?.slice(job.processor.indexOf('@') + 1) ?? null;
  return (
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
    `<job xmlns="${JOB_NS}" id="${job.id}" version="${job.version}" type="${escapeXml(job.type)}" status="${job.status}">` +
    child('creator', job.creator) +
    child('organization', job.organization) +
    child('url', `${baseUrl}/services/job/${job.id}.xml`) +
    child('parentJobId', job.parentId) +
    child('operation', job.operation) +
    `<args>${job.args.map((arg) => child('arg', arg)).join('')}</args>` +
    child('createdHost', job.createdHost) +
    child('processingHost', processingHost) +
    child('dateCreated', job.dateCreated) +
    child('dateStarted', job.dateStarted) +
    child('dateCompleted', job.dateCompleted) +
    child('payload', job.payload) +
    child('dispatchable', job.dispatchable) +
    child('jobLoad', job.jobLoad) +
    `</job>`
  );
}

/** `<services xmlns="http://serviceregistry.opencastproject.org">`, as JaxbServiceRegistrationList. */
export function renderServices(services: RegistryService[], hosts: Map<string, RegistryHost>): string {
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><services xmlns="${SERVICE_REGISTRY_NS}">${services
    .map((service) => renderService(service, hosts.get(service.host)))
    .join('')}</services>`;
}

export function renderService(service: RegistryService, host: RegistryHost | undefined): string {
  const fields = {
    type: service.type,
    host: service.host,
    path: service.path,
    active: true,
    online: service.online,
    maintenance: host?.maintenance ?? false,
    jobproducer: service.jobProducer,
    service_state: service.state,
  };
  return `<service>${Object.entries(fields)
    .map(([name, value]) => `<${name}>${escapeXml(String(value))}</${name}>`)
    .join('')}</service>`;
}
