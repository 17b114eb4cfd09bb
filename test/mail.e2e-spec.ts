import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getDataSourceToken } from '@nestjs/typeorm';
import { simpleParser } from 'mailparser';
import type { DataSource } from 'typeorm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DownloadMailer } from '../src/vod-download/download-mailer.js';
import { MailTemplates } from '../src/mail/mail-templates.js';
import { VodDownload } from '../src/vod-download/vod-download.entity.js';
import { createDownload, registerEvent } from './helpers/factories.js';
import { startSmtpServer, TestSmtpServer } from './helpers/smtp.js';
import { createTestApp, TestApp } from './helpers/test-app.js';

async function finishedDownload(testApp: TestApp, overrides: Record<string, unknown>, outcome: Partial<VodDownload>) {
  const event = await registerEvent(testApp.baseUrl);
  const created = await createDownload(testApp.baseUrl, event.id, overrides);
  const dataSource = testApp.app.get<DataSource>(getDataSourceToken());
  await dataSource.manager.update(VodDownload, { id: created.id }, outcome);
  return dataSource.manager.findOneByOrFail(VodDownload, { id: created.id });
}

const completed = () => ({
  status: 'completed' as const,
  completionDate: new Date('2026-01-05T10:00:00Z'),
  progress: 100,
});

describe(DownloadMailer.name, () => {
  describe('over SMTP', () => {
    let smtp: TestSmtpServer;
    let testApp: TestApp;
    beforeAll(async () => {
      smtp = await startSmtpServer();
      testApp = await createTestApp({
        SMTP_URL: smtp.url,
        MAIL_FROM: 'Downloads <downloads@example.com>',
        MAIL_RETRY_DELAY_MS: '100',
      });
    });
    afterEach(() => {
      smtp.messages.length = 0;
    });
    afterAll(async () => {
      await testApp.close();
      await smtp.close();
    });

    it('sends the ready message with the working link in the requested language', async () => {
      const download = await finishedDownload(testApp, { emailLanguage: 'fr', mp4Filename: 'seance.mp4' }, completed());
      await testApp.app.get(DownloadMailer).notifyReady(download);

      const [message] = await smtp.waitForMessages(1);
      const link = `${testApp.baseUrl}/downloads/${download.contentId}/seance.mp4`;
      expect(message.subject).toBe('Votre téléchargement est prêt : seance.mp4');
      expect(message.from?.text).toBe('"Downloads" <downloads@example.com>');
      expect(message.to && 'text' in message.to ? message.to.text : '').toBe('viewer@example.com');
      expect(message.text).toContain(link);
      expect(message.text).toContain('Télécharger la vidéo');
      expect(message.html).toContain(`href="${link}"`);
      expect(message.html).toContain('<html lang="fr">');
    });

    it('falls back to English for a language without templates, and to the base language of a regional code', async () => {
      const japanese = await finishedDownload(testApp, { emailLanguage: 'ja' }, completed());
      const belgian = await finishedDownload(testApp, { emailLanguage: 'nl-BE' }, completed());
      await testApp.app.get(DownloadMailer).notifyReady(japanese);
      await smtp.waitForMessages(1);
      await testApp.app.get(DownloadMailer).notifyReady(belgian);
      const [first, second] = await smtp.waitForMessages(2);

      expect(first.subject).toMatch(/^Your download is ready: /);
      expect(second.subject).toMatch(/^Uw download staat klaar: /);
    });

    it('escapes what it inserts into the HTML', async () => {
      const download = await finishedDownload(
        testApp,
        { emailLanguage: 'de' },
        { status: 'failed', failureDate: new Date(), failureReason: '<script>alert("x")</script> & <b>bold</b>' },
      );
      await testApp.app.get(DownloadMailer).notifyFailed(download);

      const [message] = await smtp.waitForMessages(1);
      expect(message.subject).toMatch(/^Ihr Download konnte nicht erstellt werden: /);
      expect(message.html).not.toContain('<script>');
      expect(message.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;');
      // Plain text shows the reason as it is, without HTML entities.
      expect(message.text).toContain('<script>alert("x")</script> & <b>bold</b>');
    });

    it('retries a message the server refuses for a while', async () => {
      const download = await finishedDownload(testApp, {}, completed());
      smtp.refuseNext(2);
      await testApp.app.get(DownloadMailer).notifyReady(download);

      const [message] = await smtp.waitForMessages(1, 15_000);
      expect(message.text).toContain(download.downloadPath);
      expect(smtp.messages).toHaveLength(1);
    });
  });

  describe('without SMTP_URL', () => {
    let testApp: TestApp;
    beforeAll(async () => {
      testApp = await createTestApp();
    });
    afterAll(() => testApp.close());

    it('writes each message as an .eml file to the outbox', async () => {
      const download = await finishedDownload(testApp, { emailLanguage: 'es' }, completed());
      await testApp.app.get(DownloadMailer).notifyReady(download);

      const outbox = join(testApp.dataDir, 'outbox');
      const deadline = Date.now() + 5000;
      let files: string[] = [];
      while (files.length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        // The outbox folder appears with the first message.
        files = existsSync(outbox) ? readdirSync(outbox).filter((name) => name.endsWith('.eml')) : [];
      }
      expect(files).toHaveLength(1);
      expect(files[0]).toContain(download.contentId);
      const message = await simpleParser(readFileSync(join(outbox, files[0])));
      expect(message.subject).toBe(`Su descarga está lista: ${download.mp4Filename}`);
      expect(message.text).toContain(`${testApp.baseUrl}/${download.downloadPath}`);
    });
  });
});

describe(MailTemplates.name, () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp();
  });
  afterAll(() => testApp.close());

  it('has every message in en, fr, de, es, it and nl, each in its own words', () => {
    const templates = testApp.app.get(MailTemplates);
    expect(templates.languages).toEqual(expect.arrayContaining(['de', 'en', 'es', 'fr', 'it', 'nl']));
    const context = {
      fileName: 'f.mp4',
      contentId: 'c',
      downloadUrl: 'http://x/f.mp4',
      expiryDate: 'soon',
      failureReason: 'r',
    };
    for (const message of ['download-ready', 'download-failed'] as const) {
      const subjects = templates.languages.map((language) => templates.render(message, language, context).subject);
      expect(new Set(subjects).size).toBe(templates.languages.length);
    }
  });
});
