import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchWithDigest } from '../src/common/digest-client.js';
import { JOB_NS, parseJob } from './helpers/distribution.js';
import { DISTRIBUTION_TYPE, OpencastRegistry, SYSTEM_USER } from './helpers/opencast-registry.js';

/** The emulator behaves as Opencast's registry where this service depends on it. */
describe(OpencastRegistry.name, () => {
  let registry: OpencastRegistry;
  const host = 'http://media.example:3000';
  const call = (method: string, path: string, fields?: Record<string, string>) =>
    fetchWithDigest(new URL(path, registry.url), {
      method,
      body: fields ? new URLSearchParams(fields) : undefined,
      user: SYSTEM_USER,
      timeoutMs: 5000,
    });
  const register = () =>
    call('POST', '/services/register', { serviceType: DISTRIBUTION_TYPE, host, path: '/d', jobProducer: 'true' });
  const newJob = async (start: string) => {
    const response = await call('POST', '/services/job', {
      jobType: DISTRIBUTION_TYPE,
      host,
      operation: 'Distribute',
      arg: 'engage-player',
      start,
    });
    expect(response.status).toBe(201);
    return parseJob(await response.text());
  };
  const put = (id: number, xml: string) => call('PUT', `/services/job/${id}.xml`, { job: xml });

  beforeAll(async () => {
    registry = await OpencastRegistry.start();
    const fields = { host, address: '10.0.0.5', nodeName: 'media', memory: '1', cores: '2', maxLoad: '2' };
    expect((await call('POST', '/services/registerhost', fields)).status).toBe(204);
    expect((await register()).status).toBe(200);
  });

  afterAll(() => registry?.stop());

  it('sends anonymous callers to the login page, and answers a body-less preflight 401 without any effect', async () => {
    const anonymous = await fetch(new URL('/services/job', registry.url), { method: 'POST', redirect: 'manual' });
    expect(anonymous.status).toBe(302);
    const jobs = registry.state.jobs.size;
    const preflight = await fetch(new URL('/services/job', registry.url), {
      method: 'POST',
      headers: { 'X-Requested-Auth': 'Digest' },
    });
    expect(preflight.status).toBe(401);
    expect(preflight.headers.get('www-authenticate')).toMatch(/^Digest realm="Opencast", nonce="[^"]+", qop="auth"/);
    expect(registry.state.jobs.size).toBe(jobs);
  });

  it('turns the running jobs of a service that registers again to FAILED, or RESTART when dispatchable', async () => {
    const own = await newJob('false');
    const dispatched = await newJob('true');
    expect([own.status, dispatched.status]).toEqual(['INSTANTIATED', 'QUEUED']);
    for (const job of [own, dispatched]) {
      const running = registry.state.job(job.id);
      Object.assign(running, { status: 'RUNNING', processor: `${DISTRIBUTION_TYPE}@${host}` });
    }
    await register();
    expect(registry.state.job(own.id).status).toBe('FAILED');
    expect(registry.state.job(dispatched.id).status).toBe('RESTART');
  });

  it('takes a PUT only at the current version, reading children in the job namespace only', async () => {
    const job = await newJob('false');
    const document = (version: number, inside: string) =>
      `<job xmlns="${JOB_NS}" id="${job.id}" version="${version}" type="${DISTRIBUTION_TYPE}" status="FINISHED">${inside}</job>`;
    expect((await put(job.id, document(2, '<args><arg>x</arg></args>'))).status).toBe(500);
    expect(registry.state.job(job.id).status).toBe('INSTANTIATED');

    const unqualified = `<args><arg>engage-player</arg></args><payload xmlns="">lost</payload>`;
    expect((await put(job.id, document(1, unqualified))).status).toBe(204);
    expect(registry.state.job(job.id)).toMatchObject({
      version: 2,
      status: 'FINISHED',
      payload: null,
      args: ['engage-player'],
    });
    expect((await put(job.id, document(2, '<payload>kept</payload>'))).status).toBe(204);
    expect(registry.state.job(job.id)).toMatchObject({ version: 3, payload: 'kept', args: [] });
  });
});
