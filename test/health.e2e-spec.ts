import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthController } from '../src/health/health.controller.js';
import { createTestApp, TestApp } from './helpers/test-app.js';

describe(HealthController.name, () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp({ API_KEYS: 'secret', WORKER_ENABLED: 'false' });
  });
  afterAll(() => testApp.close());

  it('answers 200 while the database answers, without an API key', async () => {
    await request(testApp.baseUrl).get('/health').expect(200, { status: 'ok' });
  });

  it('answers 503 when the database does not', async () => {
    await testApp.dataSource.destroy();
    const response = await request(testApp.baseUrl).get('/health').expect(503);
    // The driver's error text (file names, hosts) stays in the log.
    expect(response.body).toEqual({
      statusCode: 503,
      message: 'The database does not answer',
      error: 'Service Unavailable',
    });
  });
});
