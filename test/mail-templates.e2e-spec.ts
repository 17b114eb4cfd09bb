import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MailTemplates } from '../src/mail/mail-templates.js';
import { createTestApp } from './helpers/test-app.js';

describe(`${MailTemplates.name} at start`, () => {
  const folders: string[] = [];
  /** A copy of the shipped templates without the given files (relative to templates/email). */
  const templatesWithout = (...files: string[]) => {
    const folder = mkdtempSync(join(tmpdir(), 'templates-'));
    folders.push(folder);
    cpSync(resolve('templates'), folder, { recursive: true });
    for (const file of files) rmSync(join(folder, 'email', file));
    return folder;
  };
  afterEach(() => {
    for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
  });

  it('refuses to start when a message the downloads send has no templates', async () => {
    // The default language's files name the messages there are.
    const templates = templatesWithout(...['subject', 'html', 'text'].map((part) => `en/download-failed.${part}.hbs`));
    await expect(createTestApp({ TEMPLATES_DIR: templates })).rejects.toThrow(/has no templates for: download-failed/);
  });

  it('refuses to start when a language lacks one part of a message', async () => {
    const templates = templatesWithout('fr/download-ready.text.hbs');
    await expect(createTestApp({ TEMPLATES_DIR: templates })).rejects.toThrow(/download-ready\.text\.hbs/);
  });
});
