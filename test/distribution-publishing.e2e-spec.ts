import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { DistributionController } from '../src/distribution/distribution.controller.js';
import { child, childNames, childText, mediaPackageXml, MP_NS, parseElementDocuments } from './helpers/distribution.js';
import { CHANNEL, MP_ID, ORG, useDistributionFixture } from './helpers/distribution-fixture.js';

describe(`${DistributionController.name}: publishing`, () => {
  const fx = useDistributionFixture();
  const { form, fileUrl, published, staticUrl, track } = fx;

  it('distributes a track, a catalog and an attachment synchronously, changing only <url>', async () => {
    const mediapackage = mediaPackageXml({
      id: MP_ID,
      elements: [
        track,
        {
          id: 'catalog-1',
          kind: 'catalog',
          flavor: 'dublincore/episode',
          mimetype: 'text/xml',
          url: fileUrl('episode.xml'),
        },
        {
          id: 'attachment-1',
          kind: 'attachment',
          flavor: 'presenter/player+preview',
          mimetype: 'image/png',
          url: fileUrl('cover.png'),
        },
      ],
    });
    const response = await form({
      mediapackage,
      channelId: CHANNEL,
      elementId: '["track-1","catalog-1","attachment-1"]',
    }).expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/xml/);

    const [distributedTrack, catalog, attachment] = parseElementDocuments(response.text);
    expect(distributedTrack.localName).toBe('track');
    expect(childText(distributedTrack, 'url')).toBe(staticUrl(MP_ID, 'track-1', 'video.mp4'));
    expect(childText(catalog, 'url')).toBe(staticUrl(MP_ID, 'catalog-1', 'episode.xml'));
    expect(childText(attachment, 'url')).toBe(staticUrl(MP_ID, 'attachment-1', 'cover.png'));
    // Everything but the URL stays as it came, including what this service does not know.
    expect(distributedTrack.getAttribute('id')).toBe('track-1');
    expect(distributedTrack.getAttribute('type')).toBe('presenter/delivery');
    expect(distributedTrack.getAttribute('ref')).toBe('track:track-0');
    expect(childText(distributedTrack, 'checksum')).toBe(track.checksum);
    expect(child(distributedTrack, 'checksum')!.getAttribute('type')).toBe('md5');
    expect(childText(distributedTrack, 'size')).toBe('4096');
    expect(childNames(child(distributedTrack, 'tags')!)).toEqual([`{${MP_NS}}tag`, `{${MP_NS}}tag`]);
    expect(childText(child(distributedTrack, 'video')!, 'resolution')).toBe('160x90');
    expect(childText(distributedTrack, 'futureField', 'urn:example:future')).toBe('keep me');
    expect(child(distributedTrack, 'futureField', 'urn:example:future')!.getAttribute('level')).toBe('3');

    // Published by hard link on the same disk, served with its type and Range support.
    expect(statSync(published(MP_ID, 'track-1', 'video.mp4')).ino).toBe(statSync(join(fx.mediaRoot, 'video.mp4')).ino);
    const file = await request(fx.testApp.baseUrl)
      .get(`/static/${ORG}/${CHANNEL}/${MP_ID}/track-1/video.mp4`)
      .expect(200);
    expect(file.headers['content-type']).toBe('video/mp4');
    expect(file.headers['x-content-type-options']).toBe('nosniff');
    expect(file.headers['content-security-policy']).toBe('sandbox');
    expect(file.body.length).toBe(4096);
    const range = await request(fx.testApp.baseUrl)
      .get(`/static/${ORG}/${CHANNEL}/${MP_ID}/track-1/video.mp4`)
      .set('Range', 'bytes=100-199')
      .expect(206);
    expect(range.headers['content-range']).toBe('bytes 100-199/4096');
    expect(range.body.length).toBe(100);
    // Revalidation: unchanged, it is 304.
    expect(file.headers.etag).toMatch(/^W\/"/);
    await request(fx.testApp.baseUrl)
      .get(`/static/${ORG}/${CHANNEL}/${MP_ID}/track-1/video.mp4`)
      .set('If-None-Match', file.headers.etag)
      .expect(304);
  });

  it('reads prefixed (ns2:) mediapackages, single-quoted id arrays and bare ids, over multipart too', async () => {
    const mediapackage = mediaPackageXml({
      id: 'mp-prefixed',
      prefix: 'ns2',
      elements: [track, { id: 'track-2', url: fileUrl('video.mp4') }],
    });
    const quoted = await form({
      mediapackage,
      channelId: CHANNEL,
      elementId: "['track-1','track-2']",
      checkAvailability: 'false',
    }).expect(200);
    const roots = parseElementDocuments(quoted.text);
    expect(roots.map((root) => childText(root, 'url'))).toEqual([
      staticUrl('mp-prefixed', 'track-1', 'video.mp4'),
      staticUrl('mp-prefixed', 'track-2', 'video.mp4'),
    ]);
    expect(roots[0].prefix).toBe('ns2');
    expect(childText(roots[0], 'futureField', 'urn:example:future')).toBe('keep me');

    const multipart = await request(fx.testApp.baseUrl)
      .post('/distribution/download/distributesync')
      .field('mediapackage', mediapackage)
      .field('channelId', CHANNEL)
      .field('elementId', 'track-2')
      .expect(200);
    expect(parseElementDocuments(multipart.text).map((root) => root.getAttribute('id'))).toEqual(['track-2']);
  });

  it('ignores form fields and query parameters it does not know, as Opencast does', async () => {
    const mediapackage = mediaPackageXml({ id: 'mp-extra', elements: [track] });
    await form({
      mediapackage,
      channelId: CHANNEL,
      elementId: 'track-1',
      checkAvailability: 'false',
      workflowInstanceId: '42',
    }).expect(200);
    await request(fx.testApp.baseUrl).get('/services/jobs.xml?status=FINISHED&serviceType=x').expect(200);
  });

  it('distributes again idempotently: same URL, the file replaced atomically, no temporary files left', async () => {
    const mediapackage = mediaPackageXml({ id: 'mp-again', elements: [track] });
    const first = await form({ mediapackage, channelId: CHANNEL, elementId: 'track-1' }).expect(200);
    const second = await form({ mediapackage, channelId: CHANNEL, elementId: 'track-1' }).expect(200);
    expect(first.text).toBe(second.text);
    expect(readdirSync(published('mp-again', 'track-1'))).toEqual(['video.mp4']);
  });

  it('removes what an element published before under another name, its old HLS segments too', async () => {
    const hlsTrack = { id: 'track-1', url: fileUrl('hls/variant.m3u8'), mimetype: 'application/x-mpegURL' };
    await form({
      mediapackage: mediaPackageXml({ id: 'mp-renamed', elements: [hlsTrack] }),
      channelId: CHANNEL,
      elementId: 'track-1',
    }).expect(200);
    expect(
      readdirSync(published('mp-renamed', 'track-1')).filter((name) => name.endsWith('.ts')).length,
    ).toBeGreaterThanOrEqual(2);
    await form({
      mediapackage: mediaPackageXml({ id: 'mp-renamed', elements: [track] }),
      channelId: CHANNEL,
      elementId: 'track-1',
    }).expect(200);
    expect(readdirSync(published('mp-renamed', 'track-1'))).toEqual(['video.mp4']);
  });

  it('sweeps hidden temporary files that a crash left behind once they are an hour old', async () => {
    const mediapackage = mediaPackageXml({ id: 'mp-sweep', elements: [track] });
    await form({ mediapackage, channelId: CHANNEL, elementId: 'track-1' }).expect(200);
    const leftovers = ['.video.mp4.0123456789ab.tmp', '.video.mp4.ba9876543210.bak'];
    for (const name of leftovers) writeFileSync(published('mp-sweep', 'track-1', name), 'left by a crash');
    await form({ mediapackage, channelId: CHANNEL, elementId: 'track-1' }).expect(200);
    expect(readdirSync(published('mp-sweep', 'track-1')).sort()).toEqual([...leftovers, 'video.mp4'].sort());
    fx.testApp.clock.advance(61 * 60 * 1000);
    try {
      await form({ mediapackage, channelId: CHANNEL, elementId: 'track-1' }).expect(200);
    } finally {
      fx.testApp.clock.advance(-61 * 60 * 1000);
    }
    expect(readdirSync(published('mp-sweep', 'track-1'))).toEqual(['video.mp4']);
  });

  it('publishes all elements or none: a failing source undoes the request and restores what was there', async () => {
    const mediapackage = mediaPackageXml({
      id: 'mp-atomic',
      elements: [
        track,
        { id: 'track-remote', url: `http://${fx.source.host}/broken/remote.mp4` },
        { id: 'track-new', url: fileUrl('cover.png') },
      ],
    });
    await form({ mediapackage, channelId: CHANNEL, elementId: 'track-1' }).expect(200);
    const before = statSync(published('mp-atomic', 'track-1', 'video.mp4')).ino;

    const failed = await form({
      mediapackage,
      channelId: CHANNEL,
      elementId: '["track-new","track-1","track-remote"]',
    }).expect(502);
    expect(failed.headers['content-type']).toMatch(/^text\/plain/);
    expect(failed.text).toContain(`http://${fx.source.host}/broken/remote.mp4`);
    expect(readdirSync(published('mp-atomic')).sort()).toEqual(['track-1']);
    expect(readdirSync(published('mp-atomic', 'track-1'))).toEqual(['video.mp4']);
    expect(statSync(published('mp-atomic', 'track-1', 'video.mp4')).ino).toBe(before);
  });

  it('serves no directory listings and no temporary files', async () => {
    await form({
      mediapackage: mediaPackageXml({ id: MP_ID, elements: [track] }),
      channelId: CHANNEL,
      elementId: 'track-1',
    }).expect(200);
    await request(fx.testApp.baseUrl).get(`/static/${ORG}/${CHANNEL}/`).expect(404);
    await request(fx.testApp.baseUrl).get(`/static/${ORG}/`).expect(404);
    // What a publication in progress looks like: a hidden temporary name next to the file.
    writeFileSync(published(MP_ID, 'track-1', '.video.mp4.abc.tmp'), 'half-written');
    const hidden = await request(fx.testApp.baseUrl)
      .get(`/static/${ORG}/${CHANNEL}/${MP_ID}/track-1/.video.mp4.abc.tmp`)
      .expect(404);
    expect(hidden.text).not.toContain('half-written');
  });
});
