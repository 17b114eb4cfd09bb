import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fetchWithDigest } from '../../src/common/digest-client.js';
import { expect, vi } from 'vitest';
import { mediaPackageXml, parseJob, parseJobList, type ParsedJob } from './distribution.js';
import { OpencastRegistry, SYSTEM_USER } from './opencast-registry.js';
import type { OpencastRemoteClient } from './opencast-remote-client.js';
import { createTestApp, type TestApp } from './test-app.js';
import { EVENTUALLY } from './eventually.js';

export { freePort } from './ports.js';

export const CHANNEL = 'engage-player';

/**
 * This service as a member of the registry's cluster, on `port` (PUBLIC_URL names it), with
 * video.mp4 (4096 bytes) and "episode notes.xml" under MEDIA_ROOT.
 */
export async function startMember(
  registry: OpencastRegistry,
  options: { port: number; dataDir?: string; env?: Record<string, string> },
): Promise<TestApp> {
  const app = await createTestApp(
    {
      OPENCAST_URL: registry.url,
      OPENCAST_DIGEST_USER: SYSTEM_USER.username,
      OPENCAST_DIGEST_PASSWORD: SYSTEM_USER.password,
      OPENCAST_MAX_LOAD: '3',
      OPENCAST_RETRY_DELAY_MS: '100',
      OPENCAST_DRAIN_TIMEOUT_MS: '5000',
      PUBLIC_URL: `http://127.0.0.1:${options.port}`,
      DISTRIBUTION_AVAILABILITY_TIMEOUT_MS: '2000',
      ...options.env,
    },
    { port: options.port, dataDir: options.dataDir },
  );
  mkdirSync(app.config.mediaRoot, { recursive: true });
  writeFileSync(join(app.config.mediaRoot, 'video.mp4'), Buffer.alloc(4096, 1));
  writeFileSync(join(app.config.mediaRoot, 'episode notes.xml'), '<dublincore/>');
  return app;
}

/** This service's own record of its jobs in `status` (`/services/jobs.xml`, as the system user). */
export async function memberJobs(member: TestApp, status: string): Promise<ParsedJob[]> {
  const url = new URL(`/services/jobs.xml?status=${status}`, member.baseUrl);
  const response = await fetchWithDigest(url, { method: 'GET', user: SYSTEM_USER, timeoutMs: 5000 });
  return parseJobList(await response.text());
}

/** A mediapackage with a track (video.mp4) and a catalog named by a relative, percent-encoded reference. */
export function lectureXml(id: string, extraElements: { id: string; url: string }[] = []): string {
  return mediaPackageXml({
    id,
    elements: [
      { id: 'track-1', url: 'video.mp4' },
      {
        id: 'catalog-1',
        kind: 'catalog',
        flavor: 'dublincore/episode',
        mimetype: 'text/xml',
        url: 'episode%20notes.xml',
      },
      ...extraElements,
    ],
  });
}

/**
 * Asks for the distribution of one element from the held source and waits until the registry
 * sees its job RUNNING (the fetch then waits for `held.release()`); answers the registry job id.
 */
export async function startHeldJob(
  opencast: OpencastRemoteClient,
  registry: OpencastRegistry,
  held: HeldSource,
  mediaPackageId: string,
): Promise<number> {
  const { status, body } = await opencast.submit('Distribute', {
    mediapackage: mediaPackageXml({
      id: mediaPackageId,
      elements: [{ id: 'track-1', url: `http://${held.host}/held.mp4` }],
    }),
    channelId: CHANNEL,
    elementIds: ['track-1'],
  });
  expect(status, body).toBe(200);
  const jobId = parseJob(body).id;
  await vi.waitFor(() => expect(registry.state.job(jobId).status).toBe('RUNNING'), EVENTUALLY);
  return jobId;
}

/**
 * An element source whose answers wait while it is held: a job fetching from it stays RUNNING
 * until the test releases it. Paths under /gone answer 404 at once (a file that went away).
 */
export class HeldSource {
  private held = true;
  private readonly waiting: ServerResponse[] = [];

  private constructor(private readonly server: Server) {}

  get host(): string {
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** How many requests are waiting now. */
  get waitingCount(): number {
    return this.waiting.length;
  }

  static async start(): Promise<HeldSource> {
    const server = createServer();
    const source = new HeldSource(server);
    server.on('request', (req, res: ServerResponse) => {
      if (req.url!.startsWith('/gone')) res.writeHead(404).end('gone');
      else if (source.held) source.waiting.push(res);
      else answer(res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return source;
  }

  release(): void {
    this.held = false;
    for (const res of this.waiting.splice(0)) answer(res);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function answer(res: ServerResponse): void {
  if (res.destroyed) return;
  res.writeHead(200, { 'Content-Type': 'video/mp4', 'Content-Length': '1000' }).end(Buffer.alloc(1000, 9));
}
