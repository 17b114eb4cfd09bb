import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import { AppConfig } from '../config/app-config.js';

export interface OutgoingMail {
  to: string;
  subject: string;
  html: string;
  text: string;
  /** Used in the outbox file name. */
  reference: string;
  /**
   * The same for every copy of one message (`<local@domain>`), so that a copy sent again after a
   * crash between the server's acceptance and the job's completion is known as the same message.
   */
  messageId: string;
}

/**
 * Delivers e-mail: over SMTP when SMTP_URL is set, else as `.eml` files in the outbox folder
 * (written under a temporary name and renamed, so a reader never sees half a message).
 */
@Injectable()
export class MailTransport implements OnModuleInit {
  private readonly logger = new Logger(MailTransport.name);
  private transporter: Transporter;

  constructor(private readonly config: AppConfig) {}

  onModuleInit(): void {
    if (this.config.smtpUrl) {
      this.transporter = nodemailer.createTransport(this.config.smtpUrl);
    } else {
      this.transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
      this.logger.log(`SMTP_URL is not set: e-mails are written to ${this.config.outboxDir}`);
    }
  }

  async send(mail: OutgoingMail): Promise<void> {
    const info = await this.transporter.sendMail({
      from: this.config.mailFrom,
      to: mail.to,
      subject: mail.subject,
      html: mail.html,
      text: mail.text,
      messageId: mail.messageId,
    });
    if (this.config.smtpUrl) return;
    await mkdir(this.config.outboxDir, { recursive: true });
    const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${mail.reference}.eml`;
    const temporary = join(this.config.outboxDir, `.${name}.tmp`);
    await writeFile(temporary, (info as { message: Buffer }).message);
    await rename(temporary, join(this.config.outboxDir, name));
  }
}
