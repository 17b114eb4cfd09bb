import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Job } from '../src/jobs/job.entity.js';
import { VodDownloadController } from '../src/vod-download/vod-download.controller.js';
import { VodDownload } from '../src/vod-download/vod-download.entity.js';
import { createDownload, downloadRequest, registerEvent } from './helpers/factories.js';
import { createTestApp, TestApp } from './helpers/test-app.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const SEED_FIELDS = [
  'id',
  'contentId',
  'eventId',
  'downloadPath',
  'emailAddress',
  'creationDate',
  'completionDate',
  'failureDate',
  'downloadUrl',
  'downloadTaskJson',
  'emailLanguage',
];

describe(VodDownloadController.name, () => {
  let testApp: TestApp;
  let api: ReturnType<typeof request>;
  let event: Awaited<ReturnType<typeof registerEvent>>;

  beforeAll(async () => {
    // The worker is off: these tests look at the API and the queue, not at processing.
    testApp = await createTestApp({ WORKER_ENABLED: 'false', CLIENT_NAME: 'europarl', MAX_BODY_BYTES: '65536' });
    api = request(testApp.baseUrl);
  });
  afterAll(() => testApp.close());

  beforeEach(async () => {
    // A delete, not clear(): PostgreSQL cannot TRUNCATE a table that vod_download_clip refers to.
    await testApp.dataSource.manager.createQueryBuilder().delete().from(VodDownload).execute();
    await testApp.dataSource.manager.clear(Job);
    event = await registerEvent(testApp.baseUrl, { title: 'Plenary session: 10/10/2018' });
  });

  const downloads = () => testApp.dataSource.manager.find(VodDownload);
  const jobsFor = (downloadId: string) => testApp.dataSource.manager.findBy(Job, { key: downloadId });

  describe('POST /voddownload', () => {
    it('creates a queued download with the seed fields, a Location and a durable job', async () => {
      const response = await api
        .post('/voddownload/')
        .send(downloadRequest(event.id, { emailLanguage: 'fr', frameAccurate: true }))
        .expect(201);
      const body = response.body;

      expect(response.headers.location).toBe(`/voddownload/${body.id}`);
      expect(Object.keys(body)).toEqual(expect.arrayContaining(SEED_FIELDS));
      expect(body).toMatchObject({
        eventId: event.id,
        emailAddress: 'viewer@example.com',
        completionDate: null,
        failureDate: null,
        downloadUrl: null,
        emailLanguage: 'fr',
        status: 'queued',
        progress: 0,
        frameAccurate: true,
        // Not made yet: no cut method.
        cutMethod: null,
        mp4Filename: 'Plenary_session_10-10-2018.mp4',
      });
      expect(body.id).toMatch(UUID);
      expect(body.contentId).toMatch(UUID);
      expect(body.creationDate).toMatch(ISO_UTC);
      expect(body.downloadPath).toBe(`downloads/${body.contentId}/Plenary_session_10-10-2018.mp4`);
      expect(JSON.parse(body.downloadTaskJson)).toEqual({
        parameters: {
          content_id: body.contentId,
          output_folder: `downloads/${body.contentId}`,
          clips: [
            { source: 'plenary/session.mp4', start: '2018-10-10T14:30:31.081Z', end: '2018-10-10T15:30:20.361Z' },
          ],
          rest_endpoints: [],
          encrypted: false,
          frame_accurate: true,
          create_mp4: false,
          copy_ts: true,
          create_via_ffmpeg: true,
        },
        client: 'europarl',
        job: { workflow: 'vodcapture-mp4' },
      });
      expect(await jobsFor(body.id)).toMatchObject([{ name: 'vod-download.process', status: 'queued' }]);
    });

    it('accepts the .NET spelling of property names and a single clip object', async () => {
      const other = await registerEvent(testApp.baseUrl, { title: 'Committee' });
      const body = (
        await api
          .post('/voddownload')
          .send({
            EmailAddress: 'viewer@example.com',
            ContentId: 'my-content',
            FrameAccurate: false,
            EmailLanguage: null,
            Mp4Filename: null,
            DownloadClips: { EventId: other.id, Start: null, End: null, Filter: 'type=="video"', IsMasterClip: false },
          })
          .expect(201)
      ).body;
      expect(body).toMatchObject({
        contentId: 'my-content',
        eventId: other.id,
        emailLanguage: null,
        mp4Filename: 'my-content.mp4',
      });
      expect(JSON.parse(body.downloadTaskJson).parameters.clips).toEqual([
        { source: 'plenary/session.mp4', filter: 'type=="video"' },
      ]);
    });

    it("belongs to the master clip's event, else the first clip's, and stitches clips in order", async () => {
      const second = await registerEvent(testApp.baseUrl, {
        title: 'Second',
        sourceUrl: 'second.mp4',
        startTime: null,
        duration: null,
      });
      const clips = [
        { eventId: event.id, start: '00:00:10', end: '00:00:20' },
        { eventId: second.id, start: '00:01:00', end: '00:01:30', isMasterClip: true },
      ];
      const withMaster = await createDownload(testApp.baseUrl, event.id, { downloadClips: clips });
      expect(withMaster.eventId).toBe(second.id);
      expect(withMaster.mp4Filename).toBe('Second.mp4');
      expect(
        JSON.parse(withMaster.downloadTaskJson).parameters.clips.map((clip: { source: string }) => clip.source),
      ).toEqual(['plenary/session.mp4', 'second.mp4']);

      const withoutMaster = await createDownload(testApp.baseUrl, event.id, {
        downloadClips: clips.map(({ isMasterClip, ...clip }) => clip).reverse(),
      });
      expect(withoutMaster.eventId).toBe(second.id);
      expect(withoutMaster.mp4Filename).toBe(`${withoutMaster.contentId}.mp4`);
    });

    it('makes mp4Filename safe', async () => {
      const body = await createDownload(testApp.baseUrl, event.id, { mp4Filename: 'Réunion <finale>' });
      expect(body.mp4Filename).toBe('Reunion_finale.mp4');
      expect(body.downloadPath).toBe(`downloads/${body.contentId}/Reunion_finale.mp4`);
    });

    it('answers 409 for a contentId that exists already', async () => {
      await createDownload(testApp.baseUrl, event.id, { contentId: 'taken' });
      const response = await api
        .post('/voddownload')
        .send(downloadRequest(event.id, { contentId: 'taken' }))
        .expect(409);
      expect(response.body.message).toContain('contentId "taken" exists already');
      expect(await downloads()).toHaveLength(1);
    });

    describe('refuses bad input with a message that says what to fix, and keeps nothing', () => {
      afterAll(async () => {
        expect(await downloads()).toHaveLength(0);
        expect(await testApp.dataSource.manager.count(Job)).toBe(0);
      });

      const cases: [string, (eventId: string) => Record<string, unknown>, RegExp][] = [
        [
          'no e-mail address',
          (id) => ({ downloadClips: [{ eventId: id }] }),
          /emailAddress must be a valid e-mail address/,
        ],
        [
          'an invalid e-mail address',
          (id) => downloadRequest(id, { emailAddress: 'not-an-address' }),
          /emailAddress must be a valid/,
        ],
        ['an unknown field', (id) => downloadRequest(id, { colour: 'red' }), /property colour should not exist/],
        [
          'a wrongly typed field',
          (id) => downloadRequest(id, { frameAccurate: 'yes' }),
          /frameAccurate must be a boolean/,
        ],
        ['no clips', (id) => downloadRequest(id, { downloadClips: [] }), /downloadClips needs at least one clip/],
        [
          'clips that are not clips',
          (id) => downloadRequest(id, { downloadClips: 'all' }),
          /downloadClips must be a clip or a list of clips/,
        ],
        [
          'an event id that is not a UUID',
          () => downloadRequest('abc'),
          /downloadClips.0.eventId must be the UUID of a registered event/,
        ],
        [
          'an unknown event',
          () => downloadRequest('00000000-0000-4000-8000-000000000000'),
          /downloadClips\[0\].eventId: no event 00000000-0000-4000-8000-000000000000 is registered/,
        ],
        [
          'a start after the end',
          (id) => downloadRequest(id, { downloadClips: [{ eventId: id, start: '00:10:00', end: '00:05:00' }] }),
          /downloadClips\[0\]: start 00:10:00 must be before end 00:05:00/,
        ],
        [
          'a time that is no time',
          (id) => downloadRequest(id, { downloadClips: [{ eventId: id, start: 'noon', end: '00:05:00' }] }),
          /"noon" is neither an ISO 8601 instant/,
        ],
        [
          'an instant outside the event',
          (id) =>
            downloadRequest(id, {
              downloadClips: [{ eventId: id, start: '2018-10-10T15:00:00Z', end: '2018-10-10T17:00:00Z' }],
            }),
          /after the end of the event/,
        ],
        [
          'a filter that does not parse',
          (id) => downloadRequest(id, { downloadClips: [{ eventId: id, filter: 'type=="audio" &&& x' }] }),
          /downloadClips\[0\].filter: Unexpected character "&" at position 17/,
        ],
        [
          'two master clips',
          (id) =>
            downloadRequest(id, {
              downloadClips: [
                { eventId: id, isMasterClip: true },
                { eventId: id, isMasterClip: true },
              ],
            }),
          /Only one clip may have isMasterClip true/,
        ],
        [
          'a path as mp4Filename',
          (id) => downloadRequest(id, { mp4Filename: '../../etc/cron.d/x.mp4' }),
          /must be a file name, not a path/,
        ],
        [
          'a contentId with a control character',
          (id) => downloadRequest(id, { contentId: 'a\nb' }),
          /contentId must be 1 to 256 characters/,
        ],
        [
          'a contentId longer than 256 characters',
          (id) => downloadRequest(id, { contentId: 'é'.repeat(257) }),
          /contentId must be 1 to 256 characters/,
        ],
        [
          'a bad language code',
          (id) => downloadRequest(id, { emailLanguage: 'english!' }),
          /emailLanguage must be a language code/,
        ],
      ];
      it.each(cases)('%s', async (_name, body, message) => {
        const response = await api.post('/voddownload').send(body(event.id)).expect(400);
        expect([response.body.message].flat().join('\n')).toMatch(message);
      });

      it('malformed JSON', async () => {
        const response = await api
          .post('/voddownload')
          .set('Content-Type', 'application/json')
          .send('{"emailAddress": ')
          .expect(400);
        expect(response.body.message).toMatch(/JSON/);
      });

      it('an oversized body', async () => {
        const response = await api
          .post('/voddownload')
          .send(downloadRequest(event.id, { mp4Filename: 'x'.repeat(70_000) }))
          .expect(413);
        expect(response.body.message).toBe('The request body is too large: the limit is 65536 bytes');
      });
    });
  });

  describe('GET', () => {
    it('finds a download by id and by content id, and answers 204 when there is none', async () => {
      const created = await createDownload(testApp.baseUrl, event.id, { contentId: 'a b/c'.replace(/[ /]/g, '-') });
      expect((await api.get(`/voddownload/${created.id}`).expect(200)).body).toEqual(created);
      expect((await api.get('/voddownload/contentid').query({ id: 'a-b-c' }).expect(200)).body).toEqual(created);
      await api.get('/voddownload/00000000-0000-4000-8000-000000000000').expect(204, '');
      await api.get('/voddownload/contentid?id=unknown').expect(204);
    });

    it('reads a percent-encoded content id', async () => {
      const created = await createDownload(testApp.baseUrl, event.id, { contentId: 'session_2018.10.10' });
      expect((await api.get('/voddownload/contentid?id=session%5F2018%2E10%2E10').expect(200)).body.id).toBe(
        created.id,
      );
    });

    it('never takes contentid, event or retry for an id', async () => {
      expect((await api.get('/voddownload/contentid').expect(400)).body.message).toContain(
        'id (the content id) is required',
      );
      expect((await api.get('/voddownload/contentid?id=').expect(400)).body.message).toContain(
        'id (the content id) must not be empty',
      );
      await api.get('/voddownload/retry/contentid').expect(400);
      await api.delete('/voddownload/contentid').expect(400);
      await api.get(`/voddownload/event/${event.id}`).expect(204);
    });

    it('lists downloads newest first, pages them, and answers 204 when there are none', async () => {
      await api.get('/voddownload/').expect(204);
      const first = await createDownload(testApp.baseUrl, event.id);
      testApp.clock.advance(1000);
      const second = await createDownload(testApp.baseUrl, event.id);
      testApp.clock.advance(1000);
      const other = await registerEvent(testApp.baseUrl);
      const third = await createDownload(testApp.baseUrl, other.id);

      const ids = async (path: string) => (await api.get(path).expect(200)).body.map((d: { id: string }) => d.id);
      expect(await ids('/voddownload/')).toEqual([third.id, second.id, first.id]);
      expect(await ids('/voddownload?limit=1&offset=1')).toEqual([second.id]);
      expect(await ids(`/voddownload/event/${event.id}`)).toEqual([second.id, first.id]);
      expect(await ids(`/voddownload/event/${event.id}?limit=1`)).toEqual([second.id]);
      await api.get('/voddownload?limit=0').expect(400);
      await api.get('/voddownload?offset=-1').expect(400);
    });
  });

  describe('retry', () => {
    it('puts a failed download back in the queue with its failure cleared', async () => {
      const created = await createDownload(testApp.baseUrl, event.id, { contentId: 'to-retry' });
      await testApp.dataSource.manager.clear(Job);
      await testApp.dataSource.manager.update(
        VodDownload,
        { id: created.id },
        {
          status: 'failed',
          failureDate: new Date(),
          failureReason: 'ffmpeg exited with code 1',
        },
      );

      const retried = (await api.get('/voddownload/retry/contentid?id=to-retry').expect(200)).body;
      expect(retried).toMatchObject({
        id: created.id,
        status: 'queued',
        failureDate: null,
        failureReason: null,
        progress: 0,
      });
      expect(await jobsFor(created.id)).toHaveLength(1);

      const conflict = await api.get(`/voddownload/retry/${created.id}`).expect(409);
      expect(conflict.body.message).toContain('queued already');
    });

    it('answers 404 for an unknown download', async () => {
      await api.get('/voddownload/retry/00000000-0000-4000-8000-000000000000').expect(404);
      await api.get('/voddownload/retry/contentid?id=nothing').expect(404);
    });
  });

  describe('DELETE', () => {
    function publishFiles(contentId: string): string {
      const folder = join(testApp.config.downloadsDir, contentId);
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, 'file.mp4'), 'video');
      return folder;
    }

    it('deletes by id, by content id and by event, with their files and jobs, answering 410', async () => {
      const byId = await createDownload(testApp.baseUrl, event.id);
      const byContent = await createDownload(testApp.baseUrl, event.id, { contentId: 'by-content' });
      const other = await registerEvent(testApp.baseUrl);
      const byEvent = [
        await createDownload(testApp.baseUrl, other.id),
        await createDownload(testApp.baseUrl, other.id),
      ];
      const folders = [byId, byContent, ...byEvent].map((download) => publishFiles(download.contentId));

      await api.delete(`/voddownload/${byId.id}`).expect(410);
      await api.delete('/voddownload/contentid?id=by-content').expect(410);
      await api.delete(`/voddownload/event/${other.id}`).expect(410);

      expect(await downloads()).toHaveLength(0);
      expect(await testApp.dataSource.manager.count(Job)).toBe(0);
      for (const folder of folders) expect(existsSync(folder)).toBe(false);
      // Deleting what is gone already is still 410.
      await api.delete(`/voddownload/${byId.id}`).expect(410);
    });

    describe('expired downloads', () => {
      const DAY = 24 * 60 * 60 * 1000;

      async function downloadCompletedAt(completion: Date | null, failure: Date | null = null) {
        const created = await createDownload(testApp.baseUrl, event.id);
        await testApp.dataSource.manager.update(
          VodDownload,
          { id: created.id },
          {
            status: completion ? 'completed' : failure ? 'failed' : 'queued',
            completionDate: completion,
            failureDate: failure,
          },
        );
        publishFiles(created.contentId);
        return created.id as string;
      }

      const remaining = async () => (await downloads()).map((download) => download.id).sort();

      it('deletes what expired DOWNLOAD_EXPIRY_DAYS (7) plus buffer days ago, and nothing younger', async () => {
        const now = testApp.clock.now().getTime();
        const completedJustExpired = await downloadCompletedAt(new Date(now - 7 * DAY - 1000));
        const completedNotYet = await downloadCompletedAt(new Date(now - 7 * DAY + 60_000));
        const failedLongAgo = await downloadCompletedAt(null, new Date(now - 8.5 * DAY));
        const completedWeekAndHalfDayAgo = await downloadCompletedAt(new Date(now - 7.5 * DAY));
        // Created (and never finished) just now: expires by its creation date.
        const neverFinished = await downloadCompletedAt(null);

        await api.delete('/voddownload/?buffer=2').expect(410);
        expect(await remaining()).toEqual(
          [completedJustExpired, completedNotYet, failedLongAgo, completedWeekAndHalfDayAgo, neverFinished].sort(),
        );
        await api.delete('/voddownload/?buffer=1').expect(410);
        expect(await remaining()).toEqual(
          [completedJustExpired, completedNotYet, completedWeekAndHalfDayAgo, neverFinished].sort(),
        );
        await api.delete('/voddownload/').expect(410);
        expect(await remaining()).toEqual([completedNotYet, neverFinished].sort());
        expect(existsSync(join(testApp.config.downloadsDir, completedJustExpired))).toBe(false);

        testApp.clock.advance(60_000 + 1000);
        await api.delete('/voddownload?buffer=0').expect(410);
        expect(await remaining()).toEqual([neverFinished]);

        testApp.clock.advanceDays(7);
        await api.delete('/voddownload').expect(410);
        expect(await remaining()).toEqual([]);
      });

      it.each(['-1', 'abc', '1.5', '', '1e3'])('refuses buffer=%j', async (buffer) => {
        const response = await api.delete(`/voddownload/?buffer=${buffer}`).expect(400);
        expect(response.body.message).toContain('buffer must be a whole number of days, 0 or more');
      });
    });
  });
});
