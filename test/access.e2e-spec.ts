import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyGuard } from '../src/common/api-key.guard.js';
import { createTestApp, TestApp } from './helpers/test-app.js';

describe(ApiKeyGuard.name, () => {
  let testApp: TestApp;
  let api: ReturnType<typeof request>;
  beforeAll(async () => {
    testApp = await createTestApp({ API_KEYS: 'first-key,second-key' });
    api = request(testApp.baseUrl);
  });
  afterAll(() => testApp.close());

  it('refuses API routes without a key, or with a wrong one', async () => {
    const missing = await api.get('/voddownload').expect(401);
    expect(missing.body.message).toContain('An API key is required');
    await api.post('/event').send({}).expect(401);
    const wrong = await api.get('/voddownload').set('Authorization', 'Bearer first-key-but-longer').expect(401);
    expect(wrong.body.message).toBe('The API key is not valid');
    await api.get('/voddownload').set('X-API-Key', 'FIRST-KEY').expect(401);
  });

  it('accepts any configured key as a bearer token or in X-API-Key', async () => {
    await api.get('/voddownload').set('Authorization', 'Bearer first-key').expect(204);
    await api.get('/voddownload').set('Authorization', 'bearer second-key').expect(204);
    await api.get('/voddownload').set('X-API-Key', 'second-key').expect(204);
  });

  it('keeps health and the API docs open', async () => {
    await api.get('/health').expect(200);
    await api.get('/docs-json').expect(200);
    const ui = await api.get('/docs').expect(200);
    expect(ui.text).toContain('swagger-ui');
  });

  it('lets anyone ask for published files: a missing one is 404, not 401', async () => {
    await api.get('/downloads/no-such-content/file.mp4').expect(404);
    await api.get('/static/org/channel/mp/element/file.mp4').expect(404);
  });

  it('keeps the Opencast routes closed to callers without a key', async () => {
    const jobs = await api.get('/services/jobs.json').expect(401);
    expect(jobs.text).toContain('An API key is required');
    await api.get('/services/jobs.json').set('X-API-Key', 'first-key').expect(200);
  });
});
