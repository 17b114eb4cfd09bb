import { Global, Module } from '@nestjs/common';
import { MailTemplates } from './mail-templates.js';
import { MailTransport } from './mail-transport.js';

@Global()
@Module({
  providers: [MailTemplates, MailTransport],
  exports: [MailTemplates, MailTransport],
})
export class MailModule {}
