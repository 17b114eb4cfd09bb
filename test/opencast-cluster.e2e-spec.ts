import { readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RegistryMembership } from '../src/distribution/opencast-registry/registry-membership.service.js';
import { fetchWithDigest } from '../src/common/digest-client.js';
import { childText, mediaPackageXml, parseElementDocuments, parseJob } from './helpers/distribution.js';
import { CHANNEL, freePort, HeldSource, lectureXml, memberJobs, startMember } from './helpers/opencast-cluster.js';
import { DISTRIBUTION_TYPE, OpencastRegistry, SYSTEM_USER } from './helpers/opencast-registry.js';
import { OpencastRemoteClient } from './helpers/opencast-remote-client.js';
import type { TestApp } from './helpers/test-app.js';
import { EVENTUALLY } from './helpers/eventually.js';

describe(RegistryMembership.name, () => {
  let registry: OpencastRegistry;
  let member: TestApp;
  let held: HeldSource;
  let port: number;
  let opencast: OpencastRemoteClient;
  const published = (...segments: string[]) =>
    join(member.config.distribution.directory, 'mh_default_org', CHANNEL, ...segments);

  beforeAll(async () => {
    registry = await OpencastRegistry.start();
    held = await HeldSource.start();
    port = await freePort();
    member = await startMember(registry, { port, env: { ALLOWED_SOURCE_HOSTS: held.host } });
    opencast = new OpencastRemoteClient(registry, { user: 'editor' });
    await vi.waitFor(
      () => expect(registry.state.service(DISTRIBUTION_TYPE, member.baseUrl)?.online).toBe(true),
      EVENTUALLY,
    );
  });

  afterAll(async () => {
    await member?.close();
    await registry?.stop();
    await held?.close();
  });

  it('registers its host and its service, each POST first without a body for the Digest challenge', async () => {
    expect(registry.state.hosts.get(member.baseUrl)).toEqual({
      host: member.baseUrl,
      address: '127.0.0.1',
      nodeName: expect.any(String),
      memory: totalmem(),
      cores: availableParallelism(),
      maxLoad: 3,
      online: true,
      maintenance: false,
    });
    expect(registry.state.service(DISTRIBUTION_TYPE, member.baseUrl)).toMatchObject({
      path: '/distribution/download',
      jobProducer: true,
    });
    const registering = registry.calls.filter((call) => call.path === '/services/register');
    expect(registering).toEqual([
      { method: 'POST', path: '/services/register', status: 401, authenticated: false, bodyBytes: 0 },
      { method: 'POST', path: '/services/register', status: 200, authenticated: true, bodyBytes: expect.any(Number) },
    ]);
    expect(registering[1].bodyBytes).toBeGreaterThan(0);
    const health = await request(member.baseUrl).get('/health').expect(200);
    expect(health.body).toEqual({ status: 'ok', opencast: { state: 'registered', registry: registry.url } });
  });

  it('distributes several elements as a registry job that JobBarrier sees FINISHED with the payload', async () => {
    const { job, seen } = await opencast.run('Distribute', {
      mediapackage: lectureXml('mp-cluster'),
      channelId: CHANNEL,
      elementIds: ['track-1', 'catalog-1'],
    });
    expect(seen.at(-1)).toBe('FINISHED');
    expect(seen).not.toContain('FAILED');
    const elements = parseElementDocuments(job.payload!);
    expect(elements.map((element) => childText(element, 'url'))).toEqual([
      `${member.baseUrl}/static/mh_default_org/${CHANNEL}/mp-cluster/track-1/video.mp4`,
      `${member.baseUrl}/static/mh_default_org/${CHANNEL}/mp-cluster/catalog-1/episode%20notes.xml`,
    ]);
    expect(readFileSync(published('mp-cluster', 'catalog-1', 'episode notes.xml'), 'utf8')).toBe('<dublincore/>');
    // The registry's job: created by this host, not dispatchable, for the workflow's user, organization and operation.
    expect(registry.state.job(job.id)).toMatchObject({
      type: DISTRIBUTION_TYPE,
      operation: 'Distribute',
      creator: 'editor',
      organization: 'mh_default_org',
      parentId: opencast.currentJobId,
      dispatchable: false,
      createdHost: member.baseUrl,
      processor: `${DISTRIBUTION_TYPE}@${member.baseUrl}`,
      args: [CHANNEL, lectureXml('mp-cluster'), '["track-1","catalog-1"]', 'false', 'false'],
    });
    // Our own table keeps the durable record, linked to the registry's job.
    const local = await memberJobs(member, 'FINISHED');
    expect(local.at(-1)!.payload).toBe(job.payload);
  });

  it('answers the POST with the job document as the registry returned it', async () => {
    const { status, body } = await opencast.submit('Retract', {
      mediapackage: lectureXml('mp-cluster'),
      channelId: CHANNEL,
      elementIds: ['track-1'],
    });
    expect(status).toBe(200);
    const answered = parseJob(body);
    expect(answered).toMatchObject({ status: 'INSTANTIATED', version: 1, operation: 'Retract' });
    expect(registry.state.jobs.has(answered.id)).toBe(true);
    const { job } = await opencast.waitFor(answered.id);
    expect(job.status).toBe('FINISHED');
    expect(parseElementDocuments(job.payload!).map((element) => element.getAttribute('id'))).toEqual(['track-1']);
    expect(() => readFileSync(published('mp-cluster', 'track-1', 'video.mp4'))).toThrow();
  });

  it('answers an empty element list with an empty result, as Opencast', async () => {
    const { job } = await opencast.run('Distribute', {
      mediapackage: lectureXml('mp-empty'),
      channelId: CHANNEL,
      elementIds: [],
    });
    expect(job.status).toBe('FINISHED');
    expect(job.payload ?? '').toBe('');
  });

  it('reports a failing element as FAILED, keeps the reason, and pushes the service to WARNING, ERROR, then sanitize', async () => {
    const failing = () =>
      opencast.run('Distribute', {
        mediapackage: mediaPackageXml({
          id: 'mp-fail',
          elements: [{ id: 'track-9', url: `http://${held.host}/gone.mp4` }],
        }),
        channelId: CHANNEL,
        elementIds: ['track-9'],
      });
    const first = await failing();
    expect(first.job.status).toBe('FAILED');
    const failed = await memberJobs(member, 'FAILED');
    expect(childText(failed.at(-1)!.root, 'failureReason', failed.at(-1)!.root.namespaceURI!)).toContain('404');
    expect(registry.state.service(DISTRIBUTION_TYPE, member.baseUrl)?.state).toBe('WARNING');
    expect((await failing()).job.status).toBe('FAILED');
    expect(registry.state.service(DISTRIBUTION_TYPE, member.baseUrl)?.state).toBe('ERROR');
    expect(await opencast.availableServices()).toEqual([]);
    await fetchWithDigest(new URL('/services/sanitize', registry.url), {
      method: 'POST',
      body: new URLSearchParams({ serviceType: DISTRIBUTION_TYPE, host: member.baseUrl }),
      user: SYSTEM_USER,
      timeoutMs: 5000,
    });
    expect(await opencast.availableServices()).toEqual([{ host: member.baseUrl, path: '/distribution/download' }]);
  });

  it('writes each update after a fresh GET, and tries again when its version is stale', async () => {
    const before = registry.calls.length;
    registry.conflictOnNextPuts(2);
    const { job, seen } = await opencast.run('Distribute', {
      mediapackage: lectureXml('mp-conflict'),
      channelId: CHANNEL,
      elementIds: ['track-1'],
    });
    expect(job.status).toBe('FINISHED');
    expect(seen).not.toContain('FAILED');
    const puts = registry.calls.slice(before).filter((call) => call.method === 'PUT' && call.authenticated);
    // Two stale versions made here; the RUNNING and FINISHED reports may also meet each other's.
    expect(puts.filter((call) => call.status === 500).length).toBeGreaterThanOrEqual(2);
    expect(puts.filter((call) => call.status === 204).length).toBeGreaterThanOrEqual(1);
    // The arguments survive every update: the PUT carries the whole job.
    expect(registry.state.job(job.id).args).toHaveLength(5);
  });
});
