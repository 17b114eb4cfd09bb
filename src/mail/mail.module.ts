import { Global, Module } from '@nestjs/common';
import { DownloadMailer } from './download-mailer.js';
import { MailTemplates } from './mail-templates.js';
import { MailTransport } from './mail-transport.js';

@Global()
@Module({
  providers: [MailTemplates, MailTransport, DownloadMailer],
  exports: [DownloadMailer, MailTemplates],
})
export class MailModule {}
