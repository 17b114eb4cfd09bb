import { existsSync, readdirSync } from 'node:fs';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { DistributionController } from '../src/distribution/distribution.controller.js';
import { mediaPackageXml, MP_NS } from './helpers/distribution.js';
import { CHANNEL, ORG, useDistributionFixture } from './helpers/distribution-fixture.js';

describe(`${DistributionController.name}: bad input`, () => {
  const fx = useDistributionFixture();
  const { fileUrl, form, published, track } = fx;

  beforeAll(async () => {
    // Something published already, so that "nothing behind" means nothing added to it.
    await form({
      mediapackage: mediaPackageXml({ id: 'mp-good', elements: [track] }),
      channelId: CHANNEL,
      elementId: 'track-1',
      checkAvailability: 'false',
    }).expect(200);
  });

  describe('refuses bad input with 400 and a plain-text reason, leaving nothing behind', () => {
    const valid = () => ({
      mediapackage: mediaPackageXml({ id: 'mp-bad', elements: [track] }),
      channelId: CHANNEL,
      elementId: 'track-1',
    });
    const cases: [string, () => Record<string, string>, string][] = [
      ['no mediapackage', () => ({ ...valid(), mediapackage: '' }), 'mediapackage is required'],
      ['no channelId', () => ({ mediapackage: valid().mediapackage, elementId: 'track-1' }), 'channelId is required'],
      ['no elementId', () => ({ mediapackage: valid().mediapackage, channelId: CHANNEL }), 'elementId is required'],
      [
        'malformed XML',
        () => ({
          ...valid(),
          mediapackage: '<mediapackage xmlns="http://mediapackage.opencastproject.org" id="x"><media>',
        }),
        'not well-formed',
      ],
      [
        'a document that is not a mediapackage',
        () => ({ ...valid(), mediapackage: '<episode id="x"/>' }),
        'must be a <mediapackage>',
      ],
      [
        'an XXE document',
        () => ({
          ...valid(),
          mediapackage: `<?xml version="1.0"?><!DOCTYPE mp [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><mediapackage xmlns="${MP_NS}" id="x"><title>&xxe;</title></mediapackage>`,
        }),
        'DOCTYPE',
      ],
      [
        'a billion-laughs document',
        () => ({
          ...valid(),
          mediapackage: `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><mediapackage xmlns="${MP_NS}" id="x">&lol2;</mediapackage>`,
        }),
        'DOCTYPE',
      ],
      [
        'a lower-case doctype',
        () => ({
          ...valid(),
          mediapackage: `<?xml version="1.0"?><!doctype mp SYSTEM "http://evil.example.com/x.dtd"><mediapackage xmlns="${MP_NS}" id="x"/>`,
        }),
        'DOCTYPE or ENTITY',
      ],
      [
        'a bare ENTITY declaration',
        () => ({ ...valid(), mediapackage: `<!ENTITY x "y"><mediapackage xmlns="${MP_NS}" id="x"/>` }),
        'DOCTYPE or ENTITY',
      ],
      [
        'an element id not in the mediapackage',
        () => ({ ...valid(), elementId: '["track-1","track-9"]' }),
        'no element with id track-9',
      ],
      [
        'an elementId that is not a list of strings',
        () => ({ ...valid(), elementId: '[1,2]' }),
        'not a JSON array of strings',
      ],
      [
        'a bad checkAvailability',
        () => ({ ...valid(), checkAvailability: 'maybe' }),
        'checkAvailability must be true or false',
      ],
      ['a channelId that climbs out', () => ({ ...valid(), channelId: '../../etc' }), 'channelId'],
      ['a channelId that is absolute', () => ({ ...valid(), channelId: '/tmp' }), 'channelId'],
      ['an element id that climbs out', () => ({ ...valid(), elementId: '["../../x"]' }), 'element id'],
      [
        'a mediapackage id that climbs out',
        () => ({ ...valid(), mediapackage: mediaPackageXml({ id: '../..', elements: [track] }) }),
        'mediapackage id',
      ],
      [
        'an element id that climbs out inside the XML',
        () => ({
          ...valid(),
          mediapackage: mediaPackageXml({ id: 'mp-bad', elements: [{ ...track, id: '..' }] }),
          elementId: '..',
        }),
        'element id',
      ],
      [
        'a file name that climbs out',
        () => ({
          ...valid(),
          mediapackage: mediaPackageXml({
            id: 'mp-bad',
            elements: [{ ...track, url: `http://${fx.source.host}/..%2F..%2Fpasswd` }],
          }),
        }),
        'file name',
      ],
      [
        'a file source outside the media root',
        () => ({
          ...valid(),
          mediapackage: mediaPackageXml({ id: 'mp-bad', elements: [{ ...track, url: 'file:///etc/hostname' }] }),
        }),
        'outside the media root',
      ],
      [
        'a relative path that climbs out of the media root',
        () => ({
          ...valid(),
          mediapackage: mediaPackageXml({ id: 'mp-bad', elements: [{ ...track, url: '../../../etc/hostname' }] }),
        }),
        'outside the media root',
      ],
      [
        'a remote source on a host that is not allowed',
        () => ({
          ...valid(),
          mediapackage: mediaPackageXml({
            id: 'mp-bad',
            elements: [{ ...track, url: 'http://evil.example.com/video.mp4' }],
          }),
        }),
        'not in ALLOWED_SOURCE_HOSTS',
      ],
      [
        'a source file that does not exist',
        () => ({
          ...valid(),
          mediapackage: mediaPackageXml({ id: 'mp-bad', elements: [{ ...track, url: fileUrl('missing.mp4') }] }),
        }),
        'does not exist',
      ],
      [
        'an unsupported scheme',
        () => ({
          ...valid(),
          mediapackage: mediaPackageXml({ id: 'mp-bad', elements: [{ ...track, url: 'ftp://example.com/video.mp4' }] }),
        }),
        'not supported',
      ],
    ];

    // Retract reads no sources and no flags: the rest applies to it as well.
    const distributeOnly = /file name|source|scheme|checkAvailability|climbs out of the media root/;

    it.each(cases)('%s', async (name, fields, reason) => {
      const paths = ['/distribution/download/distributesync', '/distribution/download'];
      if (!distributeOnly.test(name))
        paths.push('/distribution/download/retractsync', '/distribution/download/retract');
      for (const path of paths) {
        const response = await request(fx.testApp.baseUrl).post(path).type('form').send(fields()).expect(400);
        expect(response.headers['content-type']).toMatch(/^text\/plain/);
        expect(response.text).toContain(reason);
      }
      expect(existsSync(published('mp-bad'))).toBe(false);
      expect(readdirSync(fx.staticDir)).toEqual([ORG]);
      expect(readdirSync(published())).toEqual(['mp-good']);
    });
  });
});
