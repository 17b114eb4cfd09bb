import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TestApp } from './helpers/test-app.js';

describe('Health', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp();
  });
  afterAll(() => testApp.close());

  it('answers 200 while the database is reachable', async () => {
    await request(testApp.baseUrl).get('/health').expect(200, { status: 'ok' });
  });
});
