import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DownloadMailer } from '../src/vod-download/download-mailer.js';
import { MailTemplates } from '../src/mail/mail-templates.js';
import { createDownload, registerEvent } from './helpers/factories.js';
import { generateClip } from './helpers/media.js';
import { startSmtpServer, TestSmtpServer } from './helpers/smtp.js';
import { createTestApp, TestApp } from './helpers/test-app.js';

/** A source whose name is markup, so that the failure reason quoting it is too. */
const MARKUP_SOURCE = '<script>alert("x")</script> & <b>bold</b>.mp4';

/**
 * Requests a download of the whole of `sourceUrl` (under MEDIA_ROOT) through the API; the worker
 * cuts it, or fails it when the file is missing, and the mailer sends what came of it. The tests
 * set no row by hand, so nothing races the worker.
 */
async function requestDownload(testApp: TestApp, overrides: Record<string, unknown> = {}, sourceUrl = 'clip.mp4') {
  const event = await registerEvent(testApp.baseUrl, { sourceUrl, startTime: null, duration: 2 });
  return createDownload(testApp.baseUrl, event.id, { downloadClips: [{ eventId: event.id }], ...overrides });
}

const recipient = (message: ParsedMail) => (message.to && 'text' in message.to ? message.to.text : '');

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
      generateClip(join(testApp.config.mediaRoot, 'clip.mp4'));
    });
    afterEach(() => smtp.clear());
    afterAll(async () => {
      await testApp.close();
      await smtp.close();
    });

    it('sends the ready message with the working link in the requested language', async () => {
      const download = await requestDownload(testApp, { emailLanguage: 'fr', mp4Filename: 'seance.mp4' });

      const [message] = await smtp.waitForMessages(1);
      const link = `${testApp.baseUrl}/downloads/${download.contentId}/seance.mp4`;
      expect(message.subject).toBe('Votre téléchargement est prêt : seance.mp4');
      expect(message.from?.text).toBe('"Downloads" <downloads@example.com>');
      expect(recipient(message)).toBe('viewer@example.com');
      expect(message.text).toContain(link);
      expect(message.text).toContain('Télécharger la vidéo');
      expect(message.html).toContain(`href="${link}"`);
      expect(message.html).toContain('<html lang="fr">');
      // The link works: the download was really cut.
      await request(testApp.baseUrl).get(new URL(link).pathname).expect(200);
    });

    it('falls back to English for a language without templates, and to the base language of a regional code', async () => {
      await requestDownload(testApp, { emailLanguage: 'ja', emailAddress: 'ja@example.com' });
      await requestDownload(testApp, { emailLanguage: 'nl-BE', emailAddress: 'nl-be@example.com' });

      const messages = await smtp.waitForMessages(2);
      const to = (address: string) => messages.find((message) => recipient(message) === address);
      expect(to('ja@example.com')?.subject).toMatch(/^Your download is ready: /);
      expect(to('nl-be@example.com')?.subject).toMatch(/^Uw download staat klaar: /);
    });

    it('escapes what it inserts into the HTML', async () => {
      await requestDownload(testApp, { emailLanguage: 'de' }, MARKUP_SOURCE);

      const [message] = await smtp.waitForMessages(1);
      expect(message.subject).toMatch(/^Ihr Download konnte nicht erstellt werden: /);
      expect(message.html).not.toContain('<script>');
      expect(message.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;');
      // Plain text shows the reason as it is, without HTML entities.
      expect(message.text).toContain('<script>alert("x")</script> & <b>bold</b>');
    });

    it('retries a message the server refuses for a while', async () => {
      smtp.refuseNext(2);
      const download = await requestDownload(testApp);

      const [message] = await smtp.waitForMessages(1, 15_000);
      expect(smtp.deliveries).toEqual(['refused', 'refused', 'accepted']);
      expect(message.text).toContain(download.downloadPath);
      expect(smtp.messages).toHaveLength(1);
    });
  });

  describe('without SMTP_URL', () => {
    let testApp: TestApp;
    beforeAll(async () => {
      testApp = await createTestApp();
      generateClip(join(testApp.config.mediaRoot, 'clip.mp4'));
    });
    afterAll(() => testApp.close());

    it('writes each message as an .eml file to the outbox', async () => {
      const download = await requestDownload(testApp, { emailLanguage: 'es' });

      const outbox = join(testApp.dataDir, 'outbox');
      // The outbox folder appears with the first message.
      const messageFiles = () =>
        existsSync(outbox) ? readdirSync(outbox).filter((name) => name.endsWith('.eml')) : [];
      await expect.poll(messageFiles, { timeout: 10_000 }).toHaveLength(1);
      const [file] = messageFiles();
      expect(file).toContain(download.contentId);
      const message = await simpleParser(readFileSync(join(outbox, file)));
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
