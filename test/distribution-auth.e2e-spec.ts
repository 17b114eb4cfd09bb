import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  answerDigestChallenge,
  digestChallenge,
  expectedDigestResponse,
  NonceIssuer,
  nonceSecretFor,
  parseDigestAuthorization,
} from '../src/common/digest-auth.js';
import { DigestAuthenticator } from '../src/common/digest-authenticator.js';
import { mediaPackageXml, parseJob, waitForJob } from './helpers/distribution.js';
import { createTestApp, TestApp } from './helpers/test-app.js';

const DIGEST_USER = { username: 'opencast_system_account', password: 'CHANGE_ME' };
const SYNC_PATH = '/distribution/download/distributesync';

const REMOTE_FILE = Buffer.alloc(5000, 9);

/** An Opencast working file repository: files only for the digest user, asked for with X-Requested-Auth. */
async function startOpencastFiles(): Promise<{ server: Server; host: string; requests: string[] }> {
  const nonces = new NonceIssuer(60_000);
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.headers['x-requested-auth'] ?? '-'} ${req.headers.authorization ? 'credentials' : 'none'}`);
    const credentials = parseDigestAuthorization(req.headers.authorization);
    const valid =
      credentials !== null &&
      nonces.check(credentials.nonce) === 'valid' &&
      credentials.username === DIGEST_USER.username &&
      credentials.uri === req.url &&
      credentials.response === expectedDigestResponse(credentials, DIGEST_USER.password, req.method!);
    if (!valid) {
      res.writeHead(401, { 'WWW-Authenticate': digestChallenge('Opencast', nonces.issue()) }).end();
      return;
    }
    res.writeHead(200, { 'Content-Length': REMOTE_FILE.length }).end(REMOTE_FILE);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, host: `127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

describe(DigestAuthenticator.name, () => {
  let testApp: TestApp;
  let fields: Record<string, string>;
  let opencast: Awaited<ReturnType<typeof startOpencastFiles>>;

  beforeAll(async () => {
    opencast = await startOpencastFiles();
    testApp = await createTestApp({
      ALLOWED_SOURCE_HOSTS: opencast.host,
      MAX_BODY_BYTES: '65536',
      API_KEYS: 'test-key',
      OPENCAST_DIGEST_USER: DIGEST_USER.username,
      OPENCAST_DIGEST_PASSWORD: DIGEST_USER.password,
      // Published URLs that never answer: every availability check fails, quickly.
      DISTRIBUTION_BASE_URL: 'http://127.0.0.1:9/static',
      DISTRIBUTION_AVAILABILITY_TIMEOUT_MS: '300',
    });
    mkdirSync(testApp.config.mediaRoot, { recursive: true });
    writeFileSync(join(testApp.config.mediaRoot, 'video.mp4'), Buffer.alloc(1024, 1));
    const mediapackage = mediaPackageXml({
      id: 'mp-auth',
      elements: [{ id: 'track-1', url: pathToFileURL(join(testApp.config.mediaRoot, 'video.mp4')).href }],
    });
    fields = { mediapackage, channelId: 'engage-player', elementId: 'track-1', checkAvailability: 'false' };
  });
  afterAll(async () => {
    await testApp?.close();
    opencast?.server.close();
  });

  /** What Opencast's trusted HTTP client does: ask, get challenged, answer the challenge. */
  async function challenge(path: string): Promise<string> {
    const response = await request(testApp.baseUrl)
      .post(path)
      .set('X-Requested-Auth', 'Digest')
      .type('form')
      .send(fields)
      .expect(401);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    return response.headers['www-authenticate'];
  }

  it('challenges with Digest (realm, nonce, qop="auth") and accepts the Opencast system user', async () => {
    const header = await challenge(SYNC_PATH);
    expect(header).toMatch(/^Digest realm="Opencast", nonce="[^"]+", qop="auth"/);
    const authorization = answerDigestChallenge(header, DIGEST_USER, 'POST', SYNC_PATH)!;
    await request(testApp.baseUrl)
      .post(SYNC_PATH)
      .set('Authorization', authorization)
      .type('form')
      .send(fields)
      .expect(200);
  });

  it('records the digest user as the creator of the jobs it submits', async () => {
    const authorization = answerDigestChallenge(
      await challenge('/distribution/download'),
      DIGEST_USER,
      'POST',
      '/distribution/download',
    )!;
    const response = await request(testApp.baseUrl)
      .post('/distribution/download')
      .set('Authorization', authorization)
      .type('form')
      .send(fields)
      .expect(200);
    const job = parseJob(response.text);
    expect(job.root.getElementsByTagNameNS(job.root.namespaceURI!, 'creator')[0].textContent).toBe(
      DIGEST_USER.username,
    );
    const poll = `/services/job/${job.id}.xml`;
    const pollAuthorization = answerDigestChallenge(
      (await request(testApp.baseUrl).get(poll).expect(401)).headers['www-authenticate'],
      DIGEST_USER,
      'GET',
      poll,
    )!;
    await request(testApp.baseUrl).get(poll).set('Authorization', pollAuthorization).expect(200);
  });

  it('refuses a wrong password, another user, a forged nonce and credentials for another URI', async () => {
    const header = await challenge(SYNC_PATH);
    const forged = header.replace(
      /nonce="[^"]+"/,
      `nonce="${Buffer.from(`${Date.now()}:forged`).toString('base64url')}"`,
    );
    const attempts = [
      answerDigestChallenge(header, { ...DIGEST_USER, password: 'wrong' }, 'POST', SYNC_PATH),
      answerDigestChallenge(header, { ...DIGEST_USER, username: 'admin' }, 'POST', SYNC_PATH),
      answerDigestChallenge(forged, DIGEST_USER, 'POST', SYNC_PATH),
      answerDigestChallenge(header, DIGEST_USER, 'POST', '/distribution/download/retractsync'),
    ];
    for (const authorization of attempts) {
      const response = await request(testApp.baseUrl)
        .post(SYNC_PATH)
        .set('Authorization', authorization!)
        .type('form')
        .send(fields)
        .expect(401);
      expect(response.headers['www-authenticate']).toMatch(/^Digest /);
    }
  });

  it('refuses a replayed Authorization header with stale=true, and accepts the nonce again with a higher nc', async () => {
    const header = await challenge(SYNC_PATH);
    const authorization = answerDigestChallenge(header, DIGEST_USER, 'POST', SYNC_PATH)!;
    await request(testApp.baseUrl)
      .post(SYNC_PATH)
      .set('Authorization', authorization)
      .type('form')
      .send(fields)
      .expect(200);
    const replayed = await request(testApp.baseUrl)
      .post(SYNC_PATH)
      .set('Authorization', authorization)
      .type('form')
      .send({ ...fields, elementId: '["track-1"]' })
      .expect(401);
    expect(replayed.headers['www-authenticate']).toMatch(/stale=true/);
    expect(replayed.headers['www-authenticate']).not.toContain(parseDigestAuthorization(authorization)!.nonce);
    const next = answerDigestChallenge(header, DIGEST_USER, 'POST', SYNC_PATH, 2)!;
    await request(testApp.baseUrl).post(SYNC_PATH).set('Authorization', next).type('form').send(fields).expect(200);
    await request(testApp.baseUrl).post(SYNC_PATH).set('Authorization', next).type('form').send(fields).expect(401);
  });

  it('accepts nonces of another process with the same password, and answers stale=true for expired ones', async () => {
    const otherProcess = new NonceIssuer(5 * 60_000, nonceSecretFor(DIGEST_USER.password));
    const fromElsewhere = digestChallenge('Opencast', otherProcess.issue());
    const accepted = answerDigestChallenge(fromElsewhere, DIGEST_USER, 'POST', SYNC_PATH)!;
    await request(testApp.baseUrl).post(SYNC_PATH).set('Authorization', accepted).type('form').send(fields).expect(200);

    const expired = digestChallenge('Opencast', otherProcess.issue(Date.now() - 6 * 60_000));
    const stale = answerDigestChallenge(expired, DIGEST_USER, 'POST', SYNC_PATH)!;
    const response = await request(testApp.baseUrl)
      .post(SYNC_PATH)
      .set('Authorization', stale)
      .type('form')
      .send(fields)
      .expect(401);
    expect(response.headers['www-authenticate']).toMatch(/stale=true/);
  });

  it('accepts the absolute-URI form of uri, and refuses credentials without qop', async () => {
    const header = await challenge(SYNC_PATH);
    const absolute = answerDigestChallenge(header, DIGEST_USER, 'POST', `${testApp.baseUrl}${SYNC_PATH}`)!;
    await request(testApp.baseUrl).post(SYNC_PATH).set('Authorization', absolute).type('form').send(fields).expect(200);

    // RFC 2069 style: no qop, nc or cnonce, so nothing stops a replay.
    const nonce = /nonce="([^"]+)"/.exec(await challenge(SYNC_PATH))![1];
    const credentials = { username: DIGEST_USER.username, realm: 'Opencast', nonce, uri: SYNC_PATH, response: '' };
    credentials.response = expectedDigestResponse(credentials, DIGEST_USER.password, 'POST');
    const withoutQop = `Digest username="${credentials.username}", realm="Opencast", nonce="${nonce}", uri="${SYNC_PATH}", response="${credentials.response}"`;
    const response = await request(testApp.baseUrl)
      .post(SYNC_PATH)
      .set('Authorization', withoutQop)
      .type('form')
      .send(fields)
      .expect(401);
    expect(response.headers['www-authenticate']).not.toMatch(/stale=true/);
  });

  it('challenges however the path is spelled (Express routes case-insensitively)', async () => {
    const response = await request(testApp.baseUrl)
      .post('/DISTRIBUTION/Download/distributesync')
      .type('form')
      .send(fields)
      .expect(401);
    expect(response.headers['www-authenticate']).toMatch(/^Digest /);
  });

  it('accepts an API key on the Opencast paths, but Digest nowhere else', async () => {
    await request(testApp.baseUrl).post(SYNC_PATH).set('X-API-Key', 'test-key').type('form').send(fields).expect(200);
    const other = await request(testApp.baseUrl).get('/voddownload').expect(401);
    expect(other.headers['www-authenticate']).toBeUndefined();
    const authorization = answerDigestChallenge(await challenge(SYNC_PATH), DIGEST_USER, 'GET', '/voddownload')!;
    await request(testApp.baseUrl).get('/voddownload').set('Authorization', authorization).expect(401);
  });

  it('fetches sources from an Opencast node as the digest user', async () => {
    const mediapackage = mediaPackageXml({
      id: 'mp-opencast',
      elements: [{ id: 'track-1', url: `http://${opencast.host}/files/mediapackage/mp-opencast/track-1/video.mp4` }],
    });
    await request(testApp.baseUrl)
      .post(SYNC_PATH)
      .set('X-API-Key', 'test-key')
      .type('form')
      .send({ ...fields, mediapackage })
      .expect(200);
    expect(opencast.requests).toEqual(['Digest none', 'Digest credentials']);
    const file = join(
      testApp.config.distribution.directory,
      'mh_default_org/engage-player/mp-opencast/track-1/video.mp4',
    );
    expect(readFileSync(file)).toEqual(REMOTE_FILE);
  });

  it('caps the body size for both form encodings', async () => {
    const huge = 'x'.repeat(70_000);
    await request(testApp.baseUrl)
      .post(SYNC_PATH)
      .set('X-API-Key', 'test-key')
      .type('form')
      .send({ ...fields, mediapackage: huge })
      .expect(413);
    // multer reports an over-long field as 400 (Nest's mapping of LIMIT_FIELD_VALUE).
    const multipart = await request(testApp.baseUrl)
      .post(SYNC_PATH)
      .set('X-API-Key', 'test-key')
      .field('mediapackage', huge)
      .field('channelId', 'engage-player')
      .field('elementId', 'track-1')
      .expect(400);
    expect(multipart.text).toBe('Field value too long - mediapackage');
  });

  it('leaves published files open to anyone', async () => {
    const [organization] = readdirSync(testApp.config.distribution.directory);
    await request(testApp.baseUrl).get(`/static/${organization}/engage-player/mp-auth/track-1/video.mp4`).expect(200);
  });

  it('fails a distribution whose URL never answers, naming the URL, and removes what it published', async () => {
    const response = await request(testApp.baseUrl)
      .post(SYNC_PATH)
      .set('X-API-Key', 'test-key')
      .type('form')
      .send({
        ...fields,
        mediapackage: fields.mediapackage.replace('mp-auth', 'mp-unavailable'),
        checkAvailability: 'true',
      })
      .expect(504);
    expect(response.text).toContain(
      'http://127.0.0.1:9/static/mh_default_org/engage-player/mp-unavailable/track-1/video.mp4',
    );
    expect(readdirSync(join(testApp.config.distribution.directory, 'mh_default_org', 'engage-player'))).not.toContain(
      'mp-unavailable',
    );

    const accepted = await request(testApp.baseUrl)
      .post('/distribution/download')
      .set('X-API-Key', 'test-key')
      .type('form')
      .send({ ...fields, checkAvailability: 'true' })
      .expect(200);
    const id = parseJob(accepted.text).id;
    await waitForJob(testApp.baseUrl, id, 'FAILED', { headers: { 'X-API-Key': 'test-key' }, timeout: 5000 });
    const json = await request(testApp.baseUrl)
      .get(`/services/job/${id}.json`)
      .set('X-API-Key', 'test-key')
      .expect(200);
    expect(json.body.job.failureReason).toContain('mp-auth/track-1/video.mp4');
  });

  describe('when the availability check fails after commit', () => {
    const folder = () =>
      join(testApp.config.distribution.directory, 'mh_default_org/engage-player/mp-rollback/track-1');
    const distribute = (url: string) =>
      request(testApp.baseUrl)
        .post(SYNC_PATH)
        .set('X-API-Key', 'test-key')
        .type('form')
        .send({
          ...fields,
          mediapackage: mediaPackageXml({ id: 'mp-rollback', elements: [{ id: 'track-1', url }] }),
          checkAvailability: 'true',
        });

    it('restores the file it replaced under another name', async () => {
      writeFileSync(join(testApp.config.mediaRoot, 'other.mp4'), 'other');
      // Publish video.mp4 (no check), then fail to replace it with other.mp4.
      await request(testApp.baseUrl)
        .post(SYNC_PATH)
        .set('X-API-Key', 'test-key')
        .type('form')
        .send({
          ...fields,
          mediapackage: mediaPackageXml({
            id: 'mp-rollback',
            elements: [{ id: 'track-1', url: pathToFileURL(join(testApp.config.mediaRoot, 'video.mp4')).href }],
          }),
        })
        .expect(200);
      await distribute(pathToFileURL(join(testApp.config.mediaRoot, 'other.mp4')).href).expect(504);
      expect(readdirSync(folder())).toEqual(['video.mp4']);
    });

    it('leaves alone a file that another process put in place meanwhile', async () => {
      const destination = join(folder(), 'late.mp4');
      writeFileSync(join(testApp.config.mediaRoot, 'late.mp4'), 'ours');
      const pending = distribute(pathToFileURL(join(testApp.config.mediaRoot, 'late.mp4')).href).then(
        (response) => response,
      );
      // Once our file is in place, the availability check is under way.
      await vi.waitFor(() => expect(existsSync(destination)).toBe(true), { timeout: 2000, interval: 5 });
      writeFileSync(join(folder(), '.other-process'), 'theirs');
      renameSync(join(folder(), '.other-process'), destination);
      expect((await pending).status).toBe(504);
      expect(readFileSync(destination, 'utf8')).toBe('theirs');
    });
  });
});

describe(`${DigestAuthenticator.name} without API keys`, () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp({
      OPENCAST_DIGEST_USER: DIGEST_USER.username,
      OPENCAST_DIGEST_PASSWORD: DIGEST_USER.password,
    });
  });
  afterAll(() => testApp?.close());

  it('guards the Opencast routes however they are spelled and leaves the rest open', async () => {
    const routes = [
      ['get', '/services/jobs.xml'],
      ['get', '/Services/Jobs.xml'],
      ['post', '/distribution/download/retractsync'],
      ['post', '/DISTRIBUTION/download/retractsync'],
    ] as const;
    for (const [method, path] of routes) {
      const response = await request(testApp.baseUrl)[method](path).expect(401);
      expect(response.headers['www-authenticate']).toMatch(/^Digest /);
    }
    await request(testApp.baseUrl).get('/health').expect(200);
    await request(testApp.baseUrl)
      .get('/voddownload')
      .expect((response) => expect(response.status).not.toBe(401));
  });
});
