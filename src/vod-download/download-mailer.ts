import { Injectable, Logger, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { JobQueue } from '../jobs/job-queue.js';
import { MailTemplates } from '../mail/mail-templates.js';
import { MailTransport } from '../mail/mail-transport.js';
import { JobTelemetry } from '../observability/job-telemetry.js';
import { Metrics } from '../observability/metrics.js';
import { folderNameFor } from '../storage/folder-name.js';
import { downloadUrlOf } from './download-url.js';
import { expiresAt } from './expiry.js';
import { VodDownload } from './vod-download.entity.js';

/** The e-mails a download's requester gets; each is a template in every language. */
export const DOWNLOAD_MESSAGES = ['download-ready', 'download-failed'] as const;
export type DownloadMessage = (typeof DOWNLOAD_MESSAGES)[number];

/**
 * Tells a download's requester, by e-mail in their language, that it is ready or that it failed.
 * Each message is a retried job: a failing mail server delays the message, never the download.
 */
@Injectable()
export class DownloadMailer implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger(DownloadMailer.name);

  constructor(
    private readonly jobs: JobQueue,
    private readonly templates: MailTemplates,
    private readonly transport: MailTransport,
    private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly telemetry: JobTelemetry,
    private readonly metrics: Metrics,
  ) {}

  onModuleInit(): void {
    const send = this.telemetry.observe('mail.send', ({ downloadId, message }, { attempt }) =>
      this.send(downloadId, message).catch((error: unknown) => {
        if (attempt >= this.config.mailMaxAttempts) this.metrics.emailSettled('failed');
        throw error;
      }),
    );
    this.jobs.registerHandler('mail.send', send, {
      concurrency: 2,
      maxAttempts: this.config.mailMaxAttempts,
      backoffMs: this.config.mailRetryDelayMs,
    });
  }

  /** After every module's init, so the templates are compiled: a missing message stops the start. */
  onApplicationBootstrap(): void {
    this.templates.requireMessages(DOWNLOAD_MESSAGES);
  }

  /** Pass the manager of the transaction that completes the download, so the two happen together. */
  notifyReady(download: VodDownload, manager?: EntityManager): Promise<void> {
    return this.enqueue(download, 'download-ready', manager);
  }

  notifyFailed(download: VodDownload, manager?: EntityManager): Promise<void> {
    return this.enqueue(download, 'download-failed', manager);
  }

  private enqueue(download: VodDownload, message: DownloadMessage, manager?: EntityManager): Promise<void> {
    return this.jobs.enqueue('mail.send', download.id, { downloadId: download.id, message }, { manager });
  }

  private async send(downloadId: string, message: DownloadMessage): Promise<void> {
    const download = await this.dataSource.manager.findOneBy(VodDownload, { id: downloadId });
    if (!download) {
      this.logger.log(`Download ${downloadId} was deleted before its "${message}" e-mail went out; not sending it`);
      return;
    }
    const rendered = this.templates.render(message, download.emailLanguage, this.contextFor(download));
    await this.transport.send({
      to: download.emailAddress,
      subject: rendered.subject,
      html: rendered.html,
      text: rendered.text,
      // Content ids may hold any character; the outbox file name takes the download's folder name.
      reference: `${folderNameFor(download.contentId)}-${message}`,
      messageId: messageIdOf(download, message, this.config.publicUrl),
    });
    this.metrics.emailSettled('sent');
    this.logger.log(`Sent "${message}" (${rendered.language}) for download ${download.id}`);
  }

  private contextFor(download: VodDownload): Record<string, unknown> {
    const language = download.emailLanguage ?? this.config.defaultEmailLanguage;
    const expires = download.completionDate && expiresAt(download.completionDate, this.config.downloadExpiryDays);
    return {
      fileName: download.mp4Filename,
      contentId: download.contentId,
      downloadUrl: downloadUrlOf(download, this.config),
      expiryDate: expires ? formatDate(expires, language) : '',
      failureReason: download.failureReason ?? '',
    };
  }
}

function formatDate(date: Date, language: string): string {
  try {
    return (
      new Intl.DateTimeFormat(language, { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }).format(date) +
      ' UTC'
    );
  } catch {
    return date.toISOString();
  }
}

/** One id per settling of a download: the same for a copy sent again, another after a retry settles it anew. */
function messageIdOf(download: VodDownload, message: DownloadMessage, publicUrl: string): string {
  const settledAt = (download.completionDate ?? download.failureDate ?? download.creationDate).getTime();
  return `<${message}.${download.id}.${settledAt}@${new URL(publicUrl).hostname}>`;
}
