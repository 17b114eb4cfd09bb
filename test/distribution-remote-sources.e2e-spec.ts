import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DistributionController } from '../src/distribution/distribution.controller.js';
import { childText, mediaPackageXml, parseElementDocuments } from './helpers/distribution.js';
import { CHANNEL, ORG, useDistributionFixture } from './helpers/distribution-fixture.js';
import { createTestApp, TestApp } from './helpers/test-app.js';

describe(`${DistributionController.name}: remote sources`, () => {
  const fx = useDistributionFixture();
  const { form, published, staticUrl } = fx;

  it('streams a remote source from an allowed host to disk', async () => {
    const mediapackage = mediaPackageXml({
      id: 'mp-remote',
      elements: [{ id: 'track-remote', url: `http://${fx.source.host}/remote.mp4` }],
    });
    const response = await form({ mediapackage, channelId: CHANNEL, elementId: 'track-remote' }).expect(200);
    expect(childText(parseElementDocuments(response.text)[0], 'url')).toBe(
      staticUrl('mp-remote', 'track-remote', 'remote.mp4'),
    );
    expect(readFileSync(published('mp-remote', 'track-remote', 'remote.mp4'))).toEqual(
      readFileSync(join(fx.remoteRoot, 'remote.mp4')),
    );
  });

  it('follows redirects only to allowed hosts', async () => {
    const mediapackage = mediaPackageXml({
      id: 'mp-redirect',
      elements: [{ id: 'track-remote', url: `http://${fx.source.host}/redirect/video.mp4` }],
    });
    const response = await form({ mediapackage, channelId: CHANNEL, elementId: 'track-remote' }).expect(400);
    expect(response.text).toContain('evil.example.com');
    expect(existsSync(published('mp-redirect'))).toBe(false);
    for (const [path, reason] of [
      [
        '/redirect-port/video.mp4',
        'The host "127.0.0.1:1" of http://127.0.0.1:1/remote.mp4 is not in ALLOWED_SOURCE_HOSTS',
      ],
      ['/redirect-file/video.mp4', 'file:///etc/passwd'],
    ]) {
      const elements = [{ id: 'track-remote', url: `http://${fx.source.host}${path}` }];
      const refused = await form({
        mediapackage: mediaPackageXml({ id: 'mp-redirect', elements }),
        channelId: CHANNEL,
        elementId: 'track-remote',
      });
      expect(refused.status).toBe(400);
      expect(refused.text).toContain(reason);
      expect(existsSync(published('mp-redirect'))).toBe(false);
    }
  });

  describe('with DISTRIBUTION_MAX_SOURCE_BYTES and DISTRIBUTION_FETCH_TIMEOUT_MS', () => {
    let limited: TestApp;
    beforeAll(async () => {
      limited = await createTestApp({
        ALLOWED_SOURCE_HOSTS: fx.source.host,
        DISTRIBUTION_MAX_SOURCE_BYTES: '2000',
        // Long enough that the two size tests never meet it: their source runs on the test's own
        // event loop, which a busy machine can stall for longer than 400 ms.
        DISTRIBUTION_FETCH_TIMEOUT_MS: '2000',
      });
    });
    afterAll(() => limited?.close());

    const distribute = (id: string, path: string) =>
      request(limited.baseUrl)
        .post('/distribution/download/distributesync')
        .type('form')
        .send({
          mediapackage: mediaPackageXml({
            id,
            elements: [{ id: 'track-remote', url: `http://${fx.source.host}${path}` }],
          }),
          channelId: CHANNEL,
          elementId: 'track-remote',
        });
    const leftovers = (id: string) => existsSync(join(limited.config.distribution.directory, ORG, CHANNEL, id));

    it('refuses a source whose Content-Length is over the limit', async () => {
      const response = await distribute('mp-declared', '/remote.mp4').expect(400);
      expect(response.text).toBe(
        `The source http://${fx.source.host}/remote.mp4 is 3000 bytes, more than 2000 bytes (DISTRIBUTION_MAX_SOURCE_BYTES)`,
      );
      expect(leftovers('mp-declared')).toBe(false);
    });

    it('stops a download without Content-Length once it passes the limit', async () => {
      const response = await distribute('mp-endless', '/endless/video.mp4').expect(400);
      expect(response.text).toContain('is more than 2000 bytes (DISTRIBUTION_MAX_SOURCE_BYTES)');
      expect(leftovers('mp-endless')).toBe(false);
    });

    it('gives up on a source that stalls, naming the setting', async () => {
      const response = await distribute('mp-stalled', '/stalled/video.mp4').expect(504);
      expect(response.text).toContain(
        `http://${fx.source.host}/stalled/video.mp4 took longer than DISTRIBUTION_FETCH_TIMEOUT_MS (2000 ms)`,
      );
      expect(leftovers('mp-stalled')).toBe(false);
    });
  });
});
