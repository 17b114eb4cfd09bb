import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { DistributionController } from '../src/distribution/distribution.controller.js';
import {
  childNames,
  childText,
  mediaPackageXml,
  parseElementDocuments,
  parseJob,
  parseJobList,
  waitForJob,
} from './helpers/distribution.js';
import { CHANNEL, ORG, useDistributionFixture } from './helpers/distribution-fixture.js';
import { OPENCAST_JOB_CHILDREN } from './helpers/opencast-job.js';

describe(`${DistributionController.name}: Opencast jobs`, () => {
  const fx = useDistributionFixture();
  const { staticUrl, track } = fx;

  it('runs Distribute as an Opencast job: QUEUED, then FINISHED with the elements as payload', async () => {
    const mediapackage = mediaPackageXml({ id: 'mp-job', elements: [track] });
    const accepted = await request(fx.testApp.baseUrl)
      .post('/distribution/download')
      .type('form')
      .send({
        mediapackage,
        channelId: CHANNEL,
        elementId: '["track-1"]',
        checkAvailability: 'true',
        preserveReference: 'false',
      })
      .expect(200);
    expect(accepted.headers['content-type']).toMatch(/^text\/xml/);
    const job = parseJob(accepted.text);
    expect(job).toMatchObject({
      status: 'QUEUED',
      type: 'org.opencastproject.distribution.download',
      operation: 'Distribute',
      args: [CHANNEL, mediapackage, '["track-1"]', 'true', 'false'],
    });
    expect(Number.isSafeInteger(job.id) && job.id > 0).toBe(true);
    expect(childText(job.root, 'organization', job.root.namespaceURI!)).toBe(ORG);

    const finished = await waitForJob(fx.testApp.baseUrl, job.id, 'FINISHED');
    const payload = parseElementDocuments(finished.payload!);
    expect(childText(payload[0], 'url')).toBe(staticUrl('mp-job', 'track-1', 'video.mp4'));
    expect(finished.version).toBeGreaterThan(job.version);
    const names = childNames(finished.root).map((name) => name.replace(/^\{[^}]*\}/, ''));
    expect(names).toEqual(OPENCAST_JOB_CHILDREN);

    const json = await request(fx.testApp.baseUrl).get(`/services/job/${job.id}.json`).expect(200);
    expect(json.body.job).toMatchObject({
      id: job.id,
      status: 'FINISHED',
      operation: 'Distribute',
      args: { arg: job.args },
    });
    const list = await request(fx.testApp.baseUrl).get('/services/jobs.xml?status=FINISHED').expect(200);
    const ids = parseJobList(list.text).map((listed) => listed.id);
    expect(ids).toContain(job.id);
    await request(fx.testApp.baseUrl).get('/services/job/999999.xml').expect(404);
    const badStatus = await request(fx.testApp.baseUrl).get('/services/jobs.xml?status=DONE').expect(400);
    expect(badStatus.text).toContain('status must be one of');
  });

  it('lists the newest jobs a page at a time (limit, offset)', async () => {
    const mediapackage = mediaPackageXml({ id: 'mp-list', elements: [track] });
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) {
      const accepted = await request(fx.testApp.baseUrl)
        .post('/distribution/download/retract')
        .type('form')
        .send({ mediapackage, channelId: CHANNEL, elementId: 'track-1' })
        .expect(200);
      ids.push(parseJob(accepted.text).id);
    }
    const list = async (query: string) =>
      parseJobList((await request(fx.testApp.baseUrl).get(`/services/jobs.xml?${query}`).expect(200)).text).map(
        (job) => job.id,
      );
    expect(await list('limit=2')).toEqual(ids.slice(1));
    expect(await list('limit=1&offset=1')).toEqual([ids[1]]);
    const json = await request(fx.testApp.baseUrl).get('/services/jobs.json?limit=1').expect(200);
    expect(json.body.jobs.job.map((job: { id: number }) => job.id)).toEqual([ids[2]]);
    for (const query of ['limit=0', 'limit=1001', 'offset=-1', 'limit=ten']) {
      const refused = await request(fx.testApp.baseUrl).get(`/services/jobs.xml?${query}`).expect(400);
      expect(refused.text).toMatch(/(limit|offset) must be a whole number/);
    }
  });
});
