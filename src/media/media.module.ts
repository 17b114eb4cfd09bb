import { Global, Module } from '@nestjs/common';
import { Ffmpeg } from './ffmpeg.js';
import { SourceProxy } from './source-proxy.js';

@Global()
@Module({ providers: [Ffmpeg, SourceProxy], exports: [Ffmpeg, SourceProxy] })
export class MediaModule {}
