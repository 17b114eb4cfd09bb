import type { IncomingMessage } from 'node:http';
import { RegistryStateError, SYSTEM_USER, type RegistryState } from './opencast-registry-state.js';
import { renderJob, renderService, renderServices, SERVICE_REGISTRY_NS } from './opencast-registry-xml.js';

export interface RegistryAnswer {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

/** ServiceRegistryEndpoint: the `/services` routes, on the registry's state. */
export function routeRegistryRequest(
  state: RegistryState,
  baseUrl: string,
  req: IncomingMessage,
  url: URL,
  form: URLSearchParams,
): RegistryAnswer {
  const method = req.method!;
  const field = (name: string) => form.get(name) ?? '';
  const route = `${method} ${url.pathname}`;
  const jobPath = /^(GET|PUT) \/services\/job\/(\d+)\.xml$/.exec(route);
  if (jobPath?.[1] === 'GET') return { status: 200, body: renderJob(state.job(Number(jobPath[2])), baseUrl) };
  if (jobPath?.[1] === 'PUT') {
    state.updateJob(Number(jobPath[2]), field('job'));
    return { status: 204 };
  }
  switch (route) {
    case 'POST /services/registerhost':
      state.registerHost({
        host: field('host'),
        address: field('address'),
        nodeName: field('nodeName'),
        memory: Number(field('memory')),
        cores: Number(field('cores')),
        maxLoad: Number(field('maxLoad')),
      });
      return { status: 204 };
    case 'POST /services/register': {
      const service = state.registerService(
        field('serviceType'),
        field('host'),
        field('path'),
        field('jobProducer') === 'true',
      );
      const document = renderService(service, state.hosts.get(service.host)).replace(
        '<service>',
        `<service xmlns="${SERVICE_REGISTRY_NS}">`,
      );
      return { status: 200, body: document };
    }
    case 'POST /services/unregister':
      state.unregisterService(field('serviceType'), field('host'));
      return { status: 204 };
    case 'POST /services/unregisterhost':
      state.unregisterHost(field('host'));
      return { status: 204 };
    case 'POST /services/maintenance':
      state.setMaintenance(field('host'), field('maintenance') === 'true');
      return { status: 204 };
    case 'POST /services/sanitize':
      state.sanitize(field('serviceType'), field('host'));
      return { status: 204 };
    case 'GET /services/available.xml': {
      const type = url.searchParams.get('serviceType');
      if (!type) throw new RegistryStateError('Service type must be specified', 400);
      return { status: 200, body: renderServices(state.available(type), state.hosts) };
    }
    case 'GET /services/services.xml': {
      const [type, host] = [url.searchParams.get('serviceType'), url.searchParams.get('host')];
      const services = [...state.services.values()].filter(
        (service) => (!type || service.type === type) && (!host || service.host === host),
      );
      if (type && host && services.length === 0) throw new RegistryStateError('No such service', 404);
      return { status: 200, body: renderServices(services, state.hosts) };
    }
    case 'POST /services/job': {
      const start = field('start');
      const parent = req.headers['x-opencast-matterhorn-current-job-id'];
      const job = state.createJob({
        type: field('jobType'),
        operation: field('operation'),
        args: form.getAll('arg'),
        payload: form.get('payload'),
        createdHost: field('host'),
        jobLoad: Number(field('jobLoad') || '1'),
        start: start === '' || start.toLowerCase() === 'true',
        creator: String(req.headers['x-opencast-matterhorn-user'] ?? SYSTEM_USER.username),
        organization: String(req.headers['x-opencast-matterhorn-organization'] ?? 'mh_default_org'),
        parentId: parent ? Number(parent) : null,
      });
      return {
        status: 201,
        body: renderJob(job, baseUrl),
        headers: { Location: `${baseUrl}/services/job/${job.id}.xml` },
      };
    }
  }
  throw new RegistryStateError(`No route ${route}`, 404);
}
