import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DistributionJob } from '../src/distribution/distribution-job.entity.js';
import { Job } from '../src/jobs/job.entity.js';
import { RegistryMembership } from '../src/distribution/opencast-registry/registry-membership.service.js';
import { parseElementDocuments } from './helpers/distribution.js';
import { CHANNEL, freePort, HeldSource, lectureXml, startHeldJob, startMember } from './helpers/opencast-cluster.js';
import { DISTRIBUTION_TYPE, OpencastRegistry } from './helpers/opencast-registry.js';
import { OpencastRemoteClient } from './helpers/opencast-remote-client.js';
import { createTestApp } from './helpers/test-app.js';
import { EVENTUALLY } from './helpers/eventually.js';

describe(`${RegistryMembership.name} over a lifetime`, () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  const later = <T extends { close(): Promise<void> } | { stop(): Promise<void> }>(thing: T): T => {
    cleanups.push(() => ('close' in thing ? thing.close() : thing.stop()));
    return thing;
  };

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('stays standalone without OPENCAST_URL: no dispatch, no heartbeat, /health as before', async () => {
    const member = later(await createTestApp());
    await request(member.baseUrl)
      .post('/distribution/download/dispatch')
      .type('form')
      .send({ id: '1', operation: 'Distribute' })
      .expect(404);
    await request(member.baseUrl).head('/distribution/download/dispatch').expect(404);
    expect((await request(member.baseUrl).get('/health').expect(200)).body).toEqual({ status: 'ok' });
  });

  it('keeps serving while the registry is down at start, and registers once it is back', async () => {
    const registry = later(await OpencastRegistry.start());
    await registry.stop();
    const member = later(await startMember(registry, { port: await freePort(), env: { API_KEYS: 'test-key' } }));

    await vi.waitFor(async () => {
      const health = await request(member.baseUrl).get('/health').expect(200);
      expect(health.body.opencast).toEqual({
        state: 'registering',
        registry: registry.url,
        lastError: expect.stringContaining('cannot be reached'),
      });
    }, EVENTUALLY);
    // The synchronous endpoints do not need the registry.
    const sync = await request(member.baseUrl)
      .post('/distribution/download/distributesync')
      .set('Authorization', 'Bearer test-key')
      .type('form')
      .send({
        mediapackage: lectureXml('mp-sync'),
        channelId: CHANNEL,
        elementId: '["track-1"]',
        checkAvailability: 'false',
      })
      .expect(200);
    expect(parseElementDocuments(sync.text)).toHaveLength(1);

    await registry.resume();
    await vi.waitFor(() => expect(registry.state.service(DISTRIBUTION_TYPE, member.baseUrl)?.online).toBe(true), {
      timeout: 10_000,
    });
    const health = await request(member.baseUrl).get('/health').expect(200);
    expect(health.body.opencast).toEqual({ state: 'registered', registry: registry.url });
  });

  it('drains in maintenance mode at shutdown, then unregisters its service and host', async () => {
    const registry = later(await OpencastRegistry.start());
    const held = later(await HeldSource.start());
    const member = await startMember(registry, { port: await freePort(), env: { ALLOWED_SOURCE_HOSTS: held.host } });
    await vi.waitFor(
      () => expect(registry.state.service(DISTRIBUTION_TYPE, member.baseUrl)?.online).toBe(true),
      EVENTUALLY,
    );
    const opencast = new OpencastRemoteClient(registry);
    const jobId = await startHeldJob(opencast, registry, held, 'mp-drain');

    const closing = member.close();
    await vi.waitFor(() => expect(registry.state.hosts.get(member.baseUrl)?.maintenance).toBe(true), EVENTUALLY);
    expect(await opencast.availableServices()).toEqual([]);
    expect(registry.state.service(DISTRIBUTION_TYPE, member.baseUrl)?.online).toBe(true);
    held.release();
    await closing;

    expect(registry.state.job(jobId).status).toBe('FINISHED');
    expect(registry.state.service(DISTRIBUTION_TYPE, member.baseUrl)?.online).toBe(false);
    expect(registry.state.hosts.get(member.baseUrl)?.online).toBe(false);
    const order = registry.calls
      .filter((call) => call.authenticated && call.method !== 'GET')
      .map((call) => `${call.method} ${call.path.replace(/\d+/, 'N')}`);
    expect(order.slice(order.indexOf('POST /services/maintenance'))).toEqual([
      'POST /services/maintenance',
      'PUT /services/job/N.xml',
      'POST /services/unregister',
      'POST /services/unregisterhost',
    ]);
  });

  it('after a crash mid-job, the restarted process finishes it without the registry ever failing it', async () => {
    const registry = later(await OpencastRegistry.start());
    const held = later(await HeldSource.start());
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'opencast-restart-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const env = { ALLOWED_SOURCE_HOSTS: held.host };
    const first = await startMember(registry, { port, dataDir, env });
    await vi.waitFor(
      () => expect(registry.state.service(DISTRIBUTION_TYPE, first.baseUrl)?.online).toBe(true),
      EVENTUALLY,
    );
    const opencast = new OpencastRemoteClient(registry);
    const jobId = await startHeldJob(opencast, registry, held, 'mp-crash');
    await vi.waitFor(() => expect(held.waitingCount).toBe(1), EVENTUALLY);

    // A crash, as the registry sees it: the process goes away without unregistering.
    await registry.stop();
    await first.close();
    await registry.resume();
    expect(registry.state.job(jobId).status).toBe('RUNNING');
    const barrier = opencast.waitFor(jobId);

    held.release();
    const second = later(await startMember(registry, { port, dataDir, env }));
    const { job, seen } = await barrier;
    expect(seen).toEqual(['RUNNING', 'FINISHED']);
    expect(parseElementDocuments(job.payload!)).toHaveLength(1);
    // The registration was online already: registering again would have failed the running job.
    const authenticated = (path: string) => registry.calls.filter((call) => call.path === path && call.authenticated);
    await vi.waitFor(() => {
      expect(authenticated('/services/registerhost')).toHaveLength(2);
      expect(authenticated('/services/services.xml').map((call) => call.status)).toEqual([404, 200]);
    }, EVENTUALLY);
    expect(authenticated('/services/register')).toHaveLength(1);
    expect(registry.state.service(DISTRIBUTION_TYPE, second.baseUrl)?.online).toBe(true);
  });

  it('reports at start the results whose reports had given up', async () => {
    const registry = later(await OpencastRegistry.start());
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'opencast-unreported-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const first = await startMember(registry, { port, dataDir, env: { OPENCAST_DRAIN_TIMEOUT_MS: '200' } });
    await vi.waitFor(
      () => expect(registry.state.service(DISTRIBUTION_TYPE, first.baseUrl)?.online).toBe(true),
      EVENTUALLY,
    );
    const opencast = new OpencastRemoteClient(registry);
    const { job } = await opencast.run('Distribute', {
      mediapackage: lectureXml('mp-unreported'),
      channelId: CHANNEL,
      elementIds: ['track-1'],
    });
    await vi.waitFor(
      async () => expect(await first.dataSource.manager.countBy(Job, { name: 'distribution.report' })).toBe(0),
      EVENTUALLY,
    );
    // As if every try to write the result had failed: the registry still has the job RUNNING.
    Object.assign(registry.state.job(job.id), { status: 'RUNNING', payload: null });
    await first.dataSource.manager.update(DistributionJob, { registryJobId: job.id }, { registryStatus: 'RUNNING' });
    await first.close();
    expect(registry.state.job(job.id).status).toBe('FAILED');

    later(await startMember(registry, { port, dataDir }));
    await vi.waitFor(() => expect(registry.state.job(job.id).status).toBe('FINISHED'), EVENTUALLY);
    expect(registry.state.job(job.id).payload).toBe(job.payload);
  });
});
