import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventsController } from '../src/events/events.controller.js';
import { createTestApp, TestApp } from './helpers/test-app.js';

describe(EventsController.name, () => {
  let testApp: TestApp;
  let api: ReturnType<typeof request>;
  beforeAll(async () => {
    testApp = await createTestApp({ ALLOWED_SOURCE_HOSTS: 'origin.example.com' });
    api = request(testApp.baseUrl);
  });
  afterAll(() => testApp.close());

  it('registers, lists, finds and deletes events', async () => {
    await api.get('/event').expect(204);
    const created = (
      await api
        .post('/event')
        .send({
          title: 'Plenary',
          sourceUrl: 'https://origin.example.com/vod/plenary.m3u8',
          startTime: '2018-10-10T14:00:00Z',
          duration: 3600,
        })
        .expect(201)
    ).body;
    expect(created).toMatchObject({ title: 'Plenary', startTime: '2018-10-10T14:00:00.000Z', duration: 3600 });
    // The manifest cannot be fetched here: the media's clock is not known yet, and registering still works.
    expect(created).toMatchObject({ mediaClock: null, mediaStartTime: null, mediaDuration: null });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    const untimed = (await api.post('/event').send({ title: 'Committee', sourceUrl: 'committee/2018.mp4' }).expect(201))
      .body;
    expect(untimed).toMatchObject({ startTime: null, duration: null, mediaClock: 'none' });

    expect((await api.get(`/event/${created.id}`).expect(200)).body).toEqual(created);
    expect((await api.get('/event').expect(200)).body).toHaveLength(2);
    await api.delete(`/event/${created.id}`).expect(204);
    await api.get(`/event/${created.id}`).expect(204);
  });

  it.each([
    [{ sourceUrl: 'x.mp4' }, 'title should not be empty'],
    [{ title: 'T', sourceUrl: '../../etc/passwd' }, 'sourceUrl: ../../etc/passwd is outside the media root'],
    [{ title: 'T', sourceUrl: 'http://169.254.169.254/latest' }, 'is not in ALLOWED_SOURCE_HOSTS'],
    [
      { title: 'T', sourceUrl: 'https://origin.example.com:99999/a.m3u8' },
      'sourceUrl: https://origin.example.com:99999/a.m3u8 is not a valid URL',
    ],
    [{ title: 'T', sourceUrl: 'x.mp4', startTime: 'yesterday' }, 'startTime must be a valid ISO 8601 date string'],
    [{ title: 'T', sourceUrl: 'x.mp4', duration: -5 }, 'duration must be a positive number'],
  ])('refuses %j', async (body, message) => {
    const response = await api.post('/event').send(body).expect(400);
    expect([response.body.message].flat().join('\n')).toContain(message);
  });
});
