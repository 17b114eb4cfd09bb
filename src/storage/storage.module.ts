import { Global, Module } from '@nestjs/common';
import { DownloadStore } from './download-store.js';

@Global()
@Module({ providers: [DownloadStore], exports: [DownloadStore] })
export class StorageModule {}
