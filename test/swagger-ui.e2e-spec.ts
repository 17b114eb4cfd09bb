import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadRequest } from './helpers/factories.js';
import { generateClip } from './helpers/media.js';
import { requiredTool } from './helpers/required-tool.js';
import { createTestApp, TestApp } from './helpers/test-app.js';
import { EVENTUALLY } from './helpers/eventually.js';

const CHROMIUM = '/usr/bin/chromium';
const API_KEY = 'swagger-ui-key';

describe.skipIf(!requiredTool('chromium', existsSync(CHROMIUM)))('Swagger UI in headless Chromium', () => {
  let testApp: TestApp;
  let userDataDir: string;
  let browser: BrowserContext;
  let page: Page;
  beforeAll(async () => {
    testApp = await createTestApp({ API_KEYS: API_KEY });
    generateClip(join(testApp.config.mediaRoot, 'clip.mp4'));
    userDataDir = mkdtempSync(join(tmpdir(), 'chromium-'));
    browser = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = browser.pages()[0] ?? (await browser.newPage());
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    await testApp?.close();
  });

  /** Expands an operation, presses "Try it out", lets `fill` set its inputs, executes it: the response panel's status and body. */
  async function tryItOut(operationId: string, fill: (operation: Locator) => Promise<void>) {
    const operation = page.locator(`[id$="-${operationId}"]`);
    await operation.locator('.opblock-summary').click();
    await operation.getByRole('button', { name: 'Try it out' }).click();
    await fill(operation);
    await operation.getByRole('button', { name: 'Execute' }).click();
    const live = operation.locator('.live-responses-table .response');
    await live.waitFor();
    return {
      status: (await live.locator('.response-col_status').innerText()).trim(),
      body: await live.locator('.response-col_description pre').first().innerText(),
    };
  }

  it('authorises with an API key, registers an event (201) and reads a download (200) through "Try it out"', async () => {
    await page.goto(`${testApp.baseUrl}/docs`);
    await page.getByRole('button', { name: 'Authorize' }).first().click();
    const apiKeyForm = page.locator('.auth-container').filter({ hasText: 'X-API-Key' });
    await apiKeyForm.locator('input').fill(API_KEY);
    await apiKeyForm.getByRole('button', { name: 'Apply credentials' }).click();
    await expect
      .poll(() => apiKeyForm.getByRole('button', { name: 'Remove authorization' }).count(), EVENTUALLY)
      .toBe(1);
    await page.locator('.auth-btn-wrapper').getByRole('button', { name: 'Close' }).first().click();

    const created = await tryItOut('registerEvent', async (operation) => {
      await operation
        .locator('textarea.body-param__text')
        .fill(JSON.stringify({ title: 'Swagger UI event', sourceUrl: 'clip.mp4', duration: 2 }));
    });
    expect(created.status).toBe('201');
    const event = JSON.parse(created.body);
    expect(event).toMatchObject({ title: 'Swagger UI event', sourceUrl: 'clip.mp4' });

    const download = await request(testApp.baseUrl)
      .post('/voddownload')
      .set('X-API-Key', API_KEY)
      .send(downloadRequest(event.id, { downloadClips: [{ eventId: event.id }] }))
      .expect(201);

    const read = await tryItOut('getDownload', async (operation) => {
      await operation.locator('input[placeholder="id"]').fill(download.body.id);
    });
    expect(read.status).toBe('200');
    expect(JSON.parse(read.body)).toMatchObject({ id: download.body.id, eventId: event.id });
  }, 60_000);
});
