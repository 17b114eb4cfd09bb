import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  digestChallenge,
  expectedDigestResponse,
  NonceIssuer,
  parseDigestAuthorization,
} from '../../src/common/digest-auth.js';
import { fetchWithDigest } from '../../src/common/digest-client.js';
import { routeRegistryRequest } from './opencast-registry-routes.js';
import {
  DISTRIBUTION_TYPE,
  RegistryState,
  RegistryStateError,
  SYSTEM_USER,
  WORKFLOW_TYPE,
  type RegistryJob,
} from './opencast-registry-state.js';

export { DISTRIBUTION_TYPE, SYSTEM_USER, WORKFLOW_TYPE };

const XML = 'text/xml;charset=UTF-8';

/** One request the registry answered, for the assertions of a test. */
export interface RegistryCall {
  method: string;
  path: string;
  status: number;
  authenticated: boolean;
  bodyBytes: number;
}

/**
 * Opencast's service registry (`/services`, ServiceRegistryEndpoint) on a loopback port, with its
 * dispatcher and its job producer heartbeat run one round at a time by the test. Every call needs
 * the system account over Digest; without `X-Requested-Auth: Digest` an anonymous call is sent to
 * the login page. The registry's own node runs the workflow service, which creates dispatchable jobs.
 */
export class OpencastRegistry {
  readonly state = new RegistryState();
  readonly calls: RegistryCall[] = [];
  private readonly nonces = new NonceIssuer(60_000);
  private server: Server | undefined;
  /** How many of the next PUTs meet a version another writer moved on. */
  private conflicts = 0;
  /** The services that missed the last heartbeat (JobProducerHeartbeat's watch list). */
  private readonly unresponsive = new Set<string>();

  private constructor(readonly port: number) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Listening on `port` (0: any free one). */
  static async start(port = 0): Promise<OpencastRegistry> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    const registry = new OpencastRegistry((server.address() as AddressInfo).port);
    registry.attach(server);
    registry.state.registerHost({
      host: registry.url,
      address: '127.0.0.1',
      nodeName: 'admin',
      memory: 1,
      cores: 1,
      maxLoad: 1,
    });
    registry.state.registerService(WORKFLOW_TYPE, registry.url, '/workflow', true);
    return registry;
  }

  /** The registry goes down (connections refused) until `resume`, keeping its state. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async resume(): Promise<void> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.attach(server);
  }

  /** The next `count` job updates meet a version that another writer moved on just before. */
  conflictOnNextPuts(count: number): void {
    this.conflicts = count;
  }

  /** A workflow operation's job on the admin node, the parent of the jobs it asks for. */
  createWorkflowJob(): RegistryJob {
    return this.newJob(WORKFLOW_TYPE, 'START_OPERATION', [], false);
  }

  /**
   * What Opencast's own download distribution service does with a request: a dispatchable job,
   * QUEUED for the dispatcher. It is created on the admin node, whose own distribution service
   * is registered but offline (unregistered, as the README advises), so only we can take it.
   */
  createDispatchableJob(operation: string, args: string[]): RegistryJob {
    if (!this.state.service(DISTRIBUTION_TYPE, this.url)) {
      this.state.registerService(DISTRIBUTION_TYPE, this.url, '/distribution/download', true);
      this.state.unregisterService(DISTRIBUTION_TYPE, this.url);
    }
    return this.newJob(DISTRIBUTION_TYPE, operation, args, true);
  }

  private newJob(type: string, operation: string, args: string[], start: boolean): RegistryJob {
    return this.state.createJob({
      type,
      operation,
      args,
      payload: null,
      createdHost: this.url,
      jobLoad: 0.1,
      start,
      creator: 'admin',
      organization: 'mh_default_org',
      parentId: null,
    });
  }

  /** One round of JobDispatcher: each dispatchable job to the least loaded available service that takes it. */
  async dispatch(): Promise<Record<number, number[]>> {
    const answers: Record<number, number[]> = {};
    for (const job of this.state.dispatchable()) {
      answers[job.id] = [];
      let outcome: 'accepted' | 'refused' | 'busy' = 'busy';
      for (const service of this.state.available(job.type)) {
        this.state.startDispatch(job, service);
        const body = new URLSearchParams({ id: String(job.id), operation: job.operation });
        const status = await this.call(`${service.host}${service.path}/dispatch`, 'POST', body);
        answers[job.id].push(status);
        if (status === 204) outcome = 'accepted';
        else if (status === 412) outcome = 'refused';
        else continue;
        break;
      }
      this.state.endDispatch(job, outcome);
    }
    return answers;
  }

  /**
   * One round of JobProducerHeartbeat: HEAD `{host}{path}/dispatch` of every job producer on an
   * online host; a second miss in a row takes the service offline (failing its running jobs), a
   * 200 brings an offline one back.
   */
  async heartbeat(): Promise<void> {
    for (const service of this.state.services.values()) {
      const host = this.state.hosts.get(service.host);
      if (!service.jobProducer || !host?.online || host.maintenance || service.host === this.url) continue;
      const key = `${service.type}@${service.host}`;
      const status = await this.call(`${service.host}${service.path}/dispatch`, 'HEAD');
      if (status === 200) {
        if (!this.unresponsive.delete(key) && !service.online) service.online = true;
        continue;
      }
      if (!service.online) continue;
      if (this.unresponsive.delete(key)) this.state.unregisterService(service.type, service.host);
      else this.unresponsive.add(key);
    }
  }

  private async call(url: string, method: string, body?: URLSearchParams): Promise<number> {
    try {
      const response = await fetchWithDigest(new URL(url), { method, body, user: SYSTEM_USER, timeoutMs: 5000 });
      await response.body?.cancel();
      return response.status;
    } catch {
      return 0;
    }
  }

  private attach(server: Server): void {
    this.server = server;
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => this.answer(req, res, Buffer.concat(chunks)));
    });
  }

  private answer(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const url = new URL(req.url!, this.url);
    const record = (status: number, authenticated: boolean) =>
      void this.calls.push({ method: req.method!, path: url.pathname, status, authenticated, bodyBytes: body.length });
    if (!this.authenticated(req)) {
      // No side effect: this is also how Opencast's client fishes for the challenge.
      if (req.headers['x-requested-auth'] !== 'Digest' && !req.headers.authorization) {
        res.writeHead(302, { Location: '/admin-ng/login.html' }).end();
        return record(302, false);
      }
      res.writeHead(401, { 'WWW-Authenticate': digestChallenge('Opencast', this.nonces.issue()) }).end();
      return record(401, false);
    }
    let status = 500;
    try {
      if (req.method === 'PUT' && this.conflicts > 0 && this.conflicts--) {
        const id = /\/services\/job\/(\d+)\.xml$/.exec(url.pathname)?.[1];
        if (id) this.state.touch(Number(id));
      }
      const answer = routeRegistryRequest(this.state, this.url, req, url, new URLSearchParams(body.toString()));
      status = answer.status;
      res.writeHead(answer.status, answer.body ? { 'Content-Type': XML, ...answer.headers } : answer.headers);
      res.end(answer.body);
    } catch (error) {
      status = error instanceof RegistryStateError ? error.status : 500;
      res.writeHead(status, { 'Content-Type': 'text/plain' }).end((error as Error).message);
    }
    record(status, true);
  }

  private authenticated(req: IncomingMessage): boolean {
    const credentials = parseDigestAuthorization(req.headers.authorization);
    return (
      credentials !== null &&
      credentials.username === SYSTEM_USER.username &&
      this.nonces.check(credentials.nonce) === 'valid' &&
      credentials.response === expectedDigestResponse(credentials, SYSTEM_USER.password, req.method!)
    );
  }
}
