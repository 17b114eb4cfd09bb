import { existsSync, readdirSync } from 'node:fs';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { DistributionController } from '../src/distribution/distribution.controller.js';
import { childText, mediaPackageXml, parseElementDocuments, parseJob, waitForJob } from './helpers/distribution.js';
import { CHANNEL, useDistributionFixture } from './helpers/distribution-fixture.js';

describe(`${DistributionController.name}: retraction`, () => {
  const fx = useDistributionFixture();
  const { form, fileUrl, published, track } = fx;

  it('retracts: removes element folders, then the mediapackage folder once empty; missing files are fine', async () => {
    const mediapackage = mediaPackageXml({
      id: 'mp-retract',
      elements: [track, { id: 'track-2', url: fileUrl('cover.png') }],
    });
    await form({ mediapackage, channelId: CHANNEL, elementId: '["track-1","track-2"]' }).expect(200);

    const first = await request(fx.testApp.baseUrl)
      .post('/distribution/download/retractsync')
      .type('form')
      .send({ mediapackage, channelId: CHANNEL, elementId: 'track-1' })
      .expect(200);
    const [retracted] = parseElementDocuments(first.text);
    expect(childText(retracted, 'url')).toBe(track.url);
    expect(readdirSync(published('mp-retract'))).toEqual(['track-2']);

    const accepted = await request(fx.testApp.baseUrl)
      .post('/distribution/download/retract')
      .type('form')
      .send({ mediapackage, channelId: CHANNEL, elementId: '["track-1","track-2"]' })
      .expect(200);
    const job = parseJob(accepted.text);
    expect(job.operation).toBe('Retract');
    expect(job.args).toHaveLength(3);
    const finished = await waitForJob(fx.testApp.baseUrl, job.id, 'FINISHED');
    expect(parseElementDocuments(finished.payload!).map((root) => root.getAttribute('id'))).toEqual([
      'track-1',
      'track-2',
    ]);
    expect(existsSync(published('mp-retract'))).toBe(false);
    expect(existsSync(published())).toBe(true);
  });

  it("retracts elements found in the channel's publication, as Opencast's retract operations send them", async () => {
    const original = mediaPackageXml({ id: 'mp-publication', elements: [track] });
    const [distributed] = parseElementDocuments(
      (await form({ mediapackage: original, channelId: CHANNEL, elementId: 'track-1' }).expect(200)).text,
    );
    const publishedUrl = childText(distributed, 'url')!;
    // Only the publication holds the element now, with its published URL.
    const mediapackage = mediaPackageXml({
      id: 'mp-publication',
      elements: [],
      publications: [{ id: 'publication-1', channel: CHANNEL, elements: [{ ...track, url: publishedUrl }] }],
    });
    const response = await request(fx.testApp.baseUrl)
      .post('/distribution/download/retractsync')
      .type('form')
      .send({ mediapackage, channelId: CHANNEL, elementId: 'track-1' })
      .expect(200);
    expect(childText(parseElementDocuments(response.text)[0], 'url')).toBe(publishedUrl);
    expect(existsSync(published('mp-publication'))).toBe(false);
  });
});
