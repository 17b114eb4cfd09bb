import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DispatchController } from '../src/distribution/dispatch.controller.js';
import { childText, parseElementDocuments } from './helpers/distribution.js';
import { CHANNEL, freePort, HeldSource, lectureXml, startHeldJob, startMember } from './helpers/opencast-cluster.js';
import { DISTRIBUTION_TYPE, OpencastRegistry } from './helpers/opencast-registry.js';
import { OpencastRemoteClient } from './helpers/opencast-remote-client.js';
import type { TestApp } from './helpers/test-app.js';
import { EVENTUALLY } from './helpers/eventually.js';

describe(DispatchController.name, () => {
  let registry: OpencastRegistry;
  let member: TestApp;
  let held: HeldSource;
  let port: number;
  let opencast: OpencastRemoteClient;
  const service = () => registry.state.service(DISTRIBUTION_TYPE, member.baseUrl)!;

  beforeAll(async () => {
    registry = await OpencastRegistry.start();
    held = await HeldSource.start();
    port = await freePort();
    member = await startMember(registry, {
      port,
      env: { ALLOWED_SOURCE_HOSTS: held.host, DISTRIBUTION_MAX_QUEUED_JOBS: '1' },
    });
    opencast = new OpencastRemoteClient(registry);
    await vi.waitFor(() => expect(service().online).toBe(true), EVENTUALLY);
  });

  afterAll(async () => {
    held?.release();
    await member?.close();
    await registry?.stop();
    await held?.close();
  });

  it('runs a job that Opencast dispatches to it, reporting RUNNING and then FINISHED', async () => {
    const job = registry.createDispatchableJob('Distribute', [
      CHANNEL,
      lectureXml('mp-dispatched'),
      '["track-1","catalog-1"]',
      'false',
      'false',
    ]);
    expect(await registry.dispatch()).toEqual({ [job.id]: [204] });
    const { job: done, seen } = await opencast.waitFor(job.id);
    expect(seen.at(-1)).toBe('FINISHED');
    expect(seen).not.toContain('FAILED');
    expect(parseElementDocuments(done.payload!).map((element) => childText(element, 'url'))).toEqual([
      `${member.baseUrl}/static/mh_default_org/${CHANNEL}/mp-dispatched/track-1/video.mp4`,
      `${member.baseUrl}/static/mh_default_org/${CHANNEL}/mp-dispatched/catalog-1/episode%20notes.xml`,
    ]);
    expect(registry.state.job(job.id).processor).toBe(`${DISTRIBUTION_TYPE}@${member.baseUrl}`);
  });

  it('refuses for good (412) a job it cannot run, which Opencast then fails', async () => {
    const job = registry.createDispatchableJob('Distribute', [
      CHANNEL,
      lectureXml('mp-bad'),
      '["no-such"]',
      'false',
      'false',
    ]);
    expect(await registry.dispatch()).toEqual({ [job.id]: [412] });
    expect(registry.state.job(job.id).status).toBe('FAILED');
    const other = registry.createDispatchableJob('Transcode', []);
    other.type = DISTRIBUTION_TYPE;
    expect(await registry.dispatch()).toEqual({ [other.id]: [412] });
  });

  it('misses heartbeats while down: offline after two, its running job failed, back online at the next 200', async () => {
    const jobId = await startHeldJob(opencast, registry, held, 'mp-held');

    // The queue is full now (DISTRIBUTION_MAX_QUEUED_JOBS=1): a dispatched job is refused for now, and queued again.
    const waiting = registry.createDispatchableJob('Retract', [CHANNEL, lectureXml('mp-dispatched'), '["track-1"]']);
    expect(await registry.dispatch()).toEqual({ [waiting.id]: [503] });
    expect(registry.state.job(waiting.id).status).toBe('QUEUED');

    await registry.heartbeat();
    expect(service().online).toBe(true);
    const server = member.app.getHttpServer() as Server;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await registry.heartbeat();
    expect(service().online).toBe(true);
    await registry.heartbeat();
    expect(service().online).toBe(false);
    expect(registry.state.job(jobId).status).toBe('FAILED');
    expect(await opencast.availableServices()).toEqual([]);

    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    await registry.heartbeat();
    expect(service().online).toBe(true);
    expect(await opencast.availableServices()).toEqual([{ host: member.baseUrl, path: '/distribution/download' }]);

    // The job did run on: its result replaces the failure the registry assumed.
    held.release();
    await vi.waitFor(() => expect(registry.state.job(jobId).status).toBe('FINISHED'), EVENTUALLY);
    expect(await registry.dispatch()).toEqual({ [waiting.id]: [204] });
    expect((await opencast.waitFor(waiting.id)).job.status).toBe('FINISHED');
  });
});
