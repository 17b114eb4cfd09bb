/** One stream of a probed source, with what the cut and track selection need to know. */
export interface ProbedStream {
  index: number;
  type: 'video' | 'audio' | 'textstream' | 'other';
  codec: string;
  /** ffprobe's profile, e.g. "HE-AAC". */
  profile?: string;
  /** The container's own codec tag, e.g. "avc1" (ffprobe's codec_tag_string). */
  codecTag?: string;
  /** The container's id of the stream, e.g. an MPEG-TS PID; undefined when it has none. */
  containerId?: number;
  /** The stream's title tag (or name tag, as HLS renditions carry it). */
  title?: string;
  width?: number;
  height?: number;
  /** The width the picture is shown at: `width` stretched by its sample aspect ratio. */
  displayWidth?: number;
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
  /** The pictures or samples the container says it holds (ffprobe's nb_frames); undefined when it does not say. */
  frameCount?: number;
  /**
   * A hash of the codec's setup the container carries (its extradata: for H.264 in MP4 the avcC,
   * holding the parameter sets; for AAC its AudioSpecificConfig); undefined when it carries none.
   */
  extradataHash?: string;
  /** A video's colour range, matrix, transfer and primaries as ffprobe names them, e.g. "tv bt709 bt709 bt709". */
  colour?: string;
}

export interface ProbeResult {
  /** Undefined for sources whose length ffprobe cannot tell (a live manifest). */
  durationSeconds?: number;
  /** The timestamp of media time 0 (MPEG-TS and HLS rarely start at 0). */
  startSeconds: number;
  streams: ProbedStream[];
}

/** The parts of `ffprobe -of json -show_format -show_streams -show_data_hash md5` this service reads. */
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
    nb_frames?: string;
    extradata_hash?: string;
    color_range?: string;
    color_space?: string;
    color_transfer?: string;
    color_primaries?: string;
    id?: string;
    tags?: Record<string, string>;
  }[];
}

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
  return {
    index: stream.index,
    type,
    codec,
    profile: stream.profile,
    codecTag: stream.codec_tag_string,
    containerId: stream.id && /^0x[0-9a-f]+$/i.test(stream.id) ? parseInt(stream.id, 16) : undefined,
    title: tags.title ?? tags.name,
    width: stream.width,
    height: stream.height,
    displayWidth: stream.width ? Math.round(stream.width * aspect) : undefined,
    pixelFormat: stream.pix_fmt,
    frameRate,
    reorderDelay: stream.has_b_frames ?? 0,
    sampleRate,
    channels: stream.channels,
    language,
    bitrate,
    durationSeconds: positive(stream.duration),
    frameCount: positive(stream.nb_frames),
    extradataHash: stream.extradata_hash,
    colour:
      type === 'video'
        ? [stream.color_range, stream.color_space, stream.color_transfer, stream.color_primaries]
            .map((value) => value ?? 'unknown')
            .join(' ')
        : undefined,
  };
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
