import type { ProbedStream } from '../media/probe-result.js';
import type { TrackProperties } from './usp-filter.js';

/** USP's FourCC for the codecs ffprobe names; containers differ in their own tags, so the codec decides. */
const FOURCC_BY_CODEC: Record<string, string> = {
  h264: 'AVC1',
  hevc: 'HVC1',
  av1: 'AV01',
  vp9: 'VP09',
  mpeg2video: 'MP2V',
  aac: 'AACL',
  ac3: 'AC-3',
  eac3: 'EC-3',
  mp3: 'MP3',
  opus: 'OPUS',
  flac: 'FLAC',
  mov_text: 'TX3G',
  webvtt: 'WVTT',
  ttml: 'STPP',
};

/** A probed stream as Unified Streaming's track-selection filters see it. */
export function trackProperties(stream: ProbedStream): TrackProperties {
  const { type, language, bitrate, width, height, channels, sampleRate } = stream;
  return {
    type: type === 'other' ? 'data' : type,
    // USP numbers tracks from 1 where the container has no ids of its own.
    trackID: stream.containerId ?? stream.index + 1,
    trackName: stream.title ?? (language ? `${type}_${language}` : type),
    FourCC: fourCc(stream),
    ...(language && { systemLanguage: language }),
    ...(bitrate && { systemBitrate: bitrate }),
    ...(type === 'video' &&
      width &&
      height && { DisplayWidth: stream.displayWidth, DisplayHeight: height, MaxWidth: width, MaxHeight: height }),
    ...(type === 'audio' && channels && { channels }),
    ...(type === 'audio' && sampleRate && { SamplingRate: sampleRate }),
  };
}

function fourCc({ codec, profile, codecTag }: ProbedStream): string {
  if (codec === 'aac' && profile && /^HE-AAC/i.test(profile)) return 'AACH';
  return (
    FOURCC_BY_CODEC[codec] ??
    (codecTag && /^[\x20-\x7e]{4}$/.test(codecTag) ? codecTag.toUpperCase() : codec.toUpperCase())
  );
}
