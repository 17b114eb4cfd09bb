import { Global, Module } from '@nestjs/common';
import { Ffmpeg } from './ffmpeg.js';
import { MediaSources } from './media-sources.js';
import { SourceProxy } from './source-proxy.js';

@Global()
@Module({ providers: [Ffmpeg, MediaSources, SourceProxy], exports: [Ffmpeg, MediaSources, SourceProxy] })
export class MediaModule {}
