import type { TrackProperties } from '../vod-download/usp-filter.js';

/** One stream of a probed source, with what the cut and the USP filter need to know. */
export interface ProbedStream {
  index: number;
  type: 'video' | 'audio' | 'textstream' | 'other';
  codec: string;
  width?: number;
  height?: number;
  pixelFormat?: string;
  /** Frames per second; undefined when ffprobe cannot tell. */
  frameRate?: number;
  /**
   * How many frames a decoder holds back because of B-frames (ffprobe's has_b_frames). A stream
   * copy cut by decode time then ends that many frames late, and only 0 allows an exact copy.
   */
  reorderDelay: number;
  sampleRate?: number;
  channels?: number;
  language?: string;
  bitrate?: number;
  durationSeconds?: number;
  /** The stream as the USP filter sees it. */
  track: TrackProperties;
}

export interface ProbeResult {
  /** Undefined for sources whose length ffprobe cannot tell (a live manifest). */
  durationSeconds?: number;
  /** The timestamp of media time 0 (MPEG-TS and HLS rarely start at 0). */
  startSeconds: number;
  streams: ProbedStream[];
}

/** The parts of `ffprobe -of json -show_format -show_streams` this service reads. */
interface FfprobeJson {
  format?: { duration?: string; start_time?: string; bit_rate?: string };
  streams?: {
    index: number;
    codec_type?: string;
    codec_name?: string;
    codec_tag_string?: string;
    profile?: string;
    width?: number;
    height?: number;
    sample_aspect_ratio?: string;
    pix_fmt?: string;
    has_b_frames?: number;
    avg_frame_rate?: string;
    r_frame_rate?: string;
    sample_rate?: string;
    channels?: number;
    bit_rate?: string;
    duration?: string;
    id?: string;
    tags?: Record<string, string>;
  }[];
}

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

export function parseProbeOutput(json: string): ProbeResult {
  const parsed = JSON.parse(json) as FfprobeJson;
  const duration = Number(parsed.format?.duration);
  return {
    durationSeconds: Number.isFinite(duration) && duration > 0 ? duration : undefined,
    startSeconds: Number(parsed.format?.start_time) || 0,
    streams: (parsed.streams ?? []).map(toProbedStream),
  };
}

function toProbedStream(stream: NonNullable<FfprobeJson['streams']>[number]): ProbedStream {
  const type =
    stream.codec_type === 'video' || stream.codec_type === 'audio'
      ? stream.codec_type
      : stream.codec_type === 'subtitle'
        ? 'textstream'
        : 'other';
  const tags = lowerCaseKeys(stream.tags ?? {});
  const language = tags.language && tags.language !== 'und' ? tags.language : undefined;
  const bitrate = positive(stream.bit_rate) ?? positive(tags.variant_bitrate) ?? positive(tags.bps);
  const codec = stream.codec_name ?? 'unknown';
  const frameRate = rate(stream.avg_frame_rate) ?? rate(stream.r_frame_rate);
  const sampleRate = positive(stream.sample_rate);
  const aspect = rate(stream.sample_aspect_ratio?.replace(':', '/')) ?? 1;
  const displayWidth = stream.width ? Math.round(stream.width * aspect) : undefined;
  const trackId = stream.id && /^0x[0-9a-f]+$/i.test(stream.id) ? parseInt(stream.id, 16) : stream.index + 1;

  const track: TrackProperties = {
    type: type === 'other' ? 'data' : type,
    trackID: trackId,
    trackName: tags.title ?? tags.name ?? (language ? `${type}_${language}` : type),
    FourCC: fourCc(codec, stream.profile, stream.codec_tag_string),
    ...(language && { systemLanguage: language }),
    ...(bitrate && { systemBitrate: bitrate }),
    ...(type === 'video' &&
      stream.width &&
      stream.height && {
        DisplayWidth: displayWidth,
        DisplayHeight: stream.height,
        MaxWidth: stream.width,
        MaxHeight: stream.height,
      }),
    ...(type === 'audio' && stream.channels && { channels: stream.channels }),
    ...(type === 'audio' && sampleRate && { SamplingRate: sampleRate }),
  };
  return {
    index: stream.index,
    type,
    codec,
    width: stream.width,
    height: stream.height,
    pixelFormat: stream.pix_fmt,
    frameRate,
    reorderDelay: stream.has_b_frames ?? 0,
    sampleRate,
    channels: stream.channels,
    language,
    bitrate,
    durationSeconds: positive(stream.duration),
    track,
  };
}

function fourCc(codec: string, profile: string | undefined, tag: string | undefined): string {
  if (codec === 'aac' && profile && /^HE-AAC/i.test(profile)) return 'AACH';
  return FOURCC_BY_CODEC[codec] ?? (tag && /^[\x20-\x7e]{4}$/.test(tag) ? tag.toUpperCase() : codec.toUpperCase());
}

/** ffprobe's `30000/1001`-style rates as a number. */
function rate(value: string | undefined): number | undefined {
  const match = /^(\d+)\/(\d+)$/.exec(value ?? '');
  if (!match || Number(match[2]) === 0 || Number(match[1]) === 0) return undefined;
  return Number(match[1]) / Number(match[2]);
}

function positive(value: string | undefined): number | undefined {
  const number = Number(value);
  return Number.isFinite(number) && number > 0 ? number : undefined;
}

function lowerCaseKeys(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).map(([key, value]) => [key.toLowerCase(), value]));
}
