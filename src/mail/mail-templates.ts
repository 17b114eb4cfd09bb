import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Injectable, OnModuleInit } from '@nestjs/common';
import Handlebars from 'handlebars';
import { AppConfig } from '../config/app-config.js';

export interface RenderedMail {
  language: string;
  subject: string;
  html: string;
  text: string;
}

type CompiledMessage = Record<'subject' | 'html' | 'text', Handlebars.TemplateDelegate>;

const SUBJECT_SUFFIX = '.subject.hbs';

/**
 * The e-mail templates: `templates/email/<language>/<message>.{subject,html,text}.hbs`, sharing
 * the `layout.html.hbs` and `layout.text.hbs` partials. The default language's subjects name the
 * messages. All are compiled once at start, in a Handlebars instance of their own; a language
 * missing any part of a message is refused then.
 */
@Injectable()
export class MailTemplates implements OnModuleInit {
  private readonly compiled = new Map<string, Map<string, CompiledMessage>>();
  private readonly defaultLanguage: string;
  private readonly directory: string;

  constructor(config: AppConfig) {
    this.defaultLanguage = config.defaultEmailLanguage;
    this.directory = join(config.templatesDir, 'email');
  }

  onModuleInit(): void {
    const html = Handlebars.create();
    // Plain text has no markup to escape; HTML escaping would show "&amp;" to the reader.
    const text = Handlebars.create();
    html.registerPartial('layout', readFileSync(join(this.directory, 'layout.html.hbs'), 'utf8'));
    text.registerPartial('layout', readFileSync(join(this.directory, 'layout.text.hbs'), 'utf8'));
    const messages = this.messagesOf(this.defaultLanguage);
    for (const language of readdirSync(this.directory).filter((name) =>
      statSync(join(this.directory, name)).isDirectory(),
    )) {
      const compiled = new Map<string, CompiledMessage>();
      for (const message of messages) {
        const read = (part: string) => readFileSync(join(this.directory, language, `${message}.${part}.hbs`), 'utf8');
        compiled.set(message, {
          subject: text.compile(read('subject').trim(), { strict: true, noEscape: true }),
          html: html.compile(read('html'), { strict: true }),
          text: text.compile(read('text'), { strict: true, noEscape: true }),
        });
      }
      this.compiled.set(language, compiled);
    }
  }

  get languages(): string[] {
    return [...this.compiled.keys()].sort();
  }

  /** Stops the start when a sender's message has no templates. */
  requireMessages(messages: readonly string[]): void {
    const known = this.compiled.get(this.defaultLanguage)!;
    const missing = messages.filter((message) => !known.has(message));
    if (missing.length > 0) {
      throw new Error(`${join(this.directory, this.defaultLanguage)} has no templates for: ${missing.join(', ')}`);
    }
  }

  /** Renders a message in `language` ("fr-BE" falls back to "fr"), else in the default language. */
  render(message: string, language: string | null, context: Record<string, unknown>): RenderedMail {
    const chosen = this.chooseLanguage(language);
    const templates = this.compiled.get(chosen)!.get(message);
    if (!templates) throw new Error(`No e-mail template "${message}"`);
    const data = { ...context, language: chosen };
    return {
      language: chosen,
      subject: templates.subject(data).replace(/\s+/g, ' ').trim(),
      html: templates.html(data),
      text: templates.text(data),
    };
  }

  private messagesOf(language: string): string[] {
    const directory = join(this.directory, language);
    if (!existsSync(directory)) {
      throw new Error(`DEFAULT_EMAIL_LANGUAGE is "${language}" but ${this.directory} has no templates for it`);
    }
    return readdirSync(directory)
      .filter((name) => name.endsWith(SUBJECT_SUFFIX))
      .map((name) => name.slice(0, -SUBJECT_SUFFIX.length));
  }

  private chooseLanguage(requested: string | null): string {
    if (requested) {
      const normalised = requested.replace('_', '-').toLowerCase();
      for (const candidate of [normalised, normalised.split('-')[0]]) {
        if (this.compiled.has(candidate)) return candidate;
      }
    }
    return this.defaultLanguage;
  }
}
