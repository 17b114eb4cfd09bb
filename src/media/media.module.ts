import { Global, Module } from '@nestjs/common';
import { Ffmpeg } from './ffmpeg.js';

@Global()
@Module({ providers: [Ffmpeg], exports: [Ffmpeg] })
export class MediaModule {}
