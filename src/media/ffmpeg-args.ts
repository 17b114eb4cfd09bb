/**
 * ffmpeg and ffprobe argument lists, built as pure functions so that every command the service
 * runs can be read and unit tested. Times are seconds of media time.
 */

/**
 * Where ffmpeg reads a source from, and which of its protocols it may use to do so. Sources come
 * from MediaSources.inputFor (always remote, through the SourceProxy); local inputs are the
 * service's own intermediate files.
 */
export interface MediaInput {
  /** A local path or an http(s) URL. */
  location: string;
  remote: boolean;
}

/** One output stream of a clip, in output order: every video stream first, then every audio stream. */
export interface StreamRef {
  /** ffprobe's `index` in the source. */
  index: number;
  type: 'video' | 'audio';
}

/**
 * Remote sources may only use network protocols, so that a manifest on an allowed host can never
 * make ffmpeg open a local file; local sources may only open files.
 */
export function inputArgs(input: MediaInput, seekSeconds?: number, readSeconds?: number): string[] {
  const protocols = input.remote ? 'http,https,tcp,tls,crypto,httpproxy' : 'file,crypto';
  return [
    '-protocol_whitelist',
    protocols,
    ...(seekSeconds !== undefined && seekSeconds > 0 ? ['-ss', seconds(seekSeconds)] : []),
    ...(readSeconds !== undefined ? ['-t', seconds(readSeconds)] : []),
    '-i',
    input.location,
  ];
}

export function probeArgs(input: MediaInput): string[] {
  return [
    '-v',
    'error',
    '-of',
    'json',
    '-show_format',
    '-show_streams',
    // For each stream's extradata_hash.
    '-show_data_hash',
    'md5',
    ...inputArgs(input).slice(0, 2),
    input.location,
  ];
}

/**
 * Video packets (time and key flag) between `fromSeconds` and `toSeconds`, read without decoding.
 * These are the source's own timestamps: add its start time to media-time offsets.
 */
export function keyframeProbeArgs(
  input: MediaInput,
  streamIndex: number,
  fromSeconds: number,
  toSeconds: number,
): string[] {
  return [
    '-v',
    'error',
    '-of',
    'csv=p=0',
    '-select_streams',
    String(streamIndex),
    '-show_entries',
    'packet=pts_time,dts_time,flags',
    '-read_intervals',
    // Without a start, reading begins at the beginning: some demuxers (HLS) refuse a seek to it.
    `${fromSeconds > 0 ? seconds(fromSeconds) : ''}%${seconds(toSeconds)}`,
    ...inputArgs(input).slice(0, 2),
    input.location,
  ];
}

export const COMMON = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y'];
// Stream copy from a seek point keeps the seek point's keyframe at a timestamp a hair below zero;
// seeking slightly past a keyframe's printed time lands on that keyframe and no earlier one.
export const SEEK_EPSILON = 0.0005;

/** Intermediate clips are MPEG-TS: H.264 there carries its parameter sets in band, so pieces with different encoder settings join cleanly. */
export const INTERMEDIATE = ['-f', 'mpegts', '-muxdelay', '0', '-muxpreload', '0'];

export interface CopyCutOptions {
  input: MediaInput;
  streams: StreamRef[];
  /** Where the copy starts: a keyframe of the video, or the clip's start when there is no video. */
  fromSeconds: number;
  /**
   * Stream copy stops by decode time: the first decode time left out (a keyframe's when the cut
   * ends on one); undefined copies to the end of the source.
   */
  untilDecodeSeconds: number | undefined;
  /** Half a frame of the video: the margin that keeps the packet at `untilDecodeSeconds` out. */
  halfFrameSeconds: number;
  output: string;
}

/**
 * Cuts by stream copy, from the keyframe `fromSeconds` (at or before the requested start). The
 * seek lands half a frame early and every packet shown before that is dropped, so the clip opens
 * on that keyframe with the audio from the same moment (no audio running ahead of the picture).
 */
export function copyCutArgs(options: CopyCutOptions): string[] {
  const { input, streams, fromSeconds, untilDecodeSeconds, halfFrameSeconds, output } = options;
  const seek = Math.max(0, fromSeconds - halfFrameSeconds);
  return [
    ...COMMON,
    ...inputArgs(input, seek),
    ...(untilDecodeSeconds === undefined ? [] : ['-t', seconds(untilDecodeSeconds - seek - halfFrameSeconds)]),
    ...mapStreams(0, streams),
    '-c',
    'copy',
    '-copypriorss',
    '0',
    ...INTERMEDIATE,
    output,
  ];
}

export interface VideoEncoding {
  /** ffmpeg's pixel format of the source, kept so the re-encoded frames match the copied ones. */
  pixelFormat: string | undefined;
}

/** What libx264 is given when frames must be re-encoded: fast, visually lossless. */
export function videoEncoderArgs(encoding: VideoEncoding, stream = 'v'): string[] {
  return [
    `-c:${stream}`,
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    '18',
    ...(encoding.pixelFormat ? [`-pix_fmt:${stream}`, encoding.pixelFormat] : []),
  ];
}

export interface ReencodeCutOptions {
  input: MediaInput;
  streams: StreamRef[];
  startSeconds: number;
  endSeconds: number;
  /** The pictures the clip holds, when known: the video stops on exactly these (`-t` may take one more). */
  frames?: number;
  encoding: VideoEncoding;
  output: string;
}

/** A frame-accurate cut that re-encodes all video: for sources the smart cut cannot handle. */
export function reencodeCutArgs(options: ReencodeCutOptions): string[] {
  const hasVideo = options.streams.some((stream) => stream.type === 'video');
  return [
    ...COMMON,
    ...inputArgs(options.input, options.startSeconds),
    '-t',
    seconds(options.endSeconds - options.startSeconds),
    ...mapStreams(0, options.streams),
    ...(hasVideo && options.frames !== undefined ? ['-frames:v', String(options.frames)] : []),
    ...(hasVideo ? videoEncoderArgs(options.encoding) : []),
    '-c:a',
    'copy',
    '-copypriorss',
    '0',
    ...INTERMEDIATE,
    options.output,
  ];
}

/** One entry of a concat list: a file, how long it lasts in the joined output, and maybe where in it that starts. */
export interface ConcatPiece {
  path: string;
  durationSeconds: number;
  /**
   * The file's time that lands on the entry's start in the output. Without it, the file's first
   * packet does, wherever in the file that is.
   */
  inpointSeconds?: number;
}

/** The concat demuxer's list file: one entry per piece, each with its exact duration. */
export function concatList(pieces: ConcatPiece[]): string {
  const broken = pieces.find(({ path }) => /[\r\n]/.test(path));
  // Quoting cannot carry a line break: the list is read line by line.
  if (broken) throw new Error(`The path ${JSON.stringify(broken.path)} has a line break; a concat list cannot name it`);
  return pieces
    .map(
      ({ path, durationSeconds, inpointSeconds }) =>
        `file '${path.replace(/'/g, "'\\''")}'\n` +
        (inpointSeconds === undefined ? '' : `inpoint ${seconds(inpointSeconds)}\n`) +
        `duration ${seconds(durationSeconds)}\n`,
    )
    .join('');
}

/** A concat list written by concatList(); `-safe 0` lets it name the absolute paths of our own intermediate files. */
export function concatInputArgs(list: string): string[] {
  return ['-f', 'concat', '-safe', '0', '-i', list];
}

export interface StitchCopyOptions {
  list: string;
  /** ISO 639-2 language per output audio stream, in order; undefined leaves the stream untagged. */
  audioLanguages: (string | undefined)[];
  output: string;
}

/** Joins clips that share one track layout into the final MP4 by stream copy. */
export function stitchCopyArgs(options: StitchCopyOptions): string[] {
  return [
    ...COMMON,
    ...concatInputArgs(options.list),
    '-map',
    '0',
    '-c',
    'copy',
    ...mp4OutputArgs(options.audioLanguages),
    options.output,
  ];
}

/** The track layout every clip is brought to when the clips' layouts differ. */
export interface TargetLayout {
  videos: { width: number; height: number }[];
  audios: { sampleRate: number; channels: number; language: string | undefined }[];
  frameRate: number;
}

/** A clip to normalise: its file, duration and the streams it has (each may be missing from the target layout). */
export interface NormaliseClip {
  path: string;
  durationSeconds: number;
  /**
   * How long its pictures last, when known. The clip then lasts exactly that long: its audio is cut
   * to it, so the next clip's pictures follow at once. (Audio that ran on would make the concat
   * filter start the next pictures later, and the encoder fill the gap with a repeated picture.)
   */
  picturesSeconds?: number;
  videoCount: number;
  audioCount: number;
}

/**
 * Re-encodes clips with differing layouts into one MP4 through the concat filter, which keeps
 * every stream of every segment aligned: each video is scaled and padded to the target size, each
 * audio resampled, and a missing stream is filled with black or silence for the clip's duration.
 */
export function stitchNormalisedArgs(clips: NormaliseClip[], target: TargetLayout, output: string): string[] {
  const inputs = clips.flatMap((clip) => ['-i', clip.path]);
  const filters: string[] = [];
  const segments: string[] = [];
  clips.forEach((clip, c) => {
    const length = seconds(clip.picturesSeconds ?? clip.durationSeconds);
    target.videos.forEach(({ width, height }, v) => {
      const label = `v${c}_${v}`;
      const source =
        v < clip.videoCount ? `[${c}:v:${v}]` : `color=c=black:s=${width}x${height}:r=${target.frameRate}:d=${length},`;
      filters.push(
        `${source}scale=${width}:${height}:force_original_aspect_ratio=decrease,pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2,` +
          `setsar=1,fps=${target.frameRate},format=yuv420p,setpts=PTS-STARTPTS[${label}]`,
      );
      segments.push(`[${label}]`);
    });
    target.audios.forEach(({ sampleRate, channels }, a) => {
      const label = `a${c}_${a}`;
      const layout = channels === 1 ? 'mono' : channels === 2 ? 'stereo' : `${channels}c`;
      const source =
        a < clip.audioCount
          ? `[${c}:a:${a}]${clip.picturesSeconds === undefined ? '' : `atrim=duration=${length},`}`
          : `anullsrc=r=${sampleRate}:cl=${layout},atrim=duration=${length},`;
      filters.push(
        `${source}aresample=${sampleRate},aformat=sample_rates=${sampleRate}:channel_layouts=${layout},asetpts=PTS-STARTPTS[${label}]`,
      );
      segments.push(`[${label}]`);
    });
  });
  const outputs = [...target.videos.map((_, v) => `[ov${v}]`), ...target.audios.map((_, a) => `[oa${a}]`)];
  filters.push(
    `${segments.join('')}concat=n=${clips.length}:v=${target.videos.length}:a=${target.audios.length}${outputs.join('')}`,
  );
  return [
    ...COMMON,
    ...inputs,
    '-filter_complex',
    filters.join(';'),
    ...outputs.flatMap((label) => ['-map', label]),
    ...videoEncoderArgs({ pixelFormat: undefined }),
    '-c:a',
    'aac',
    '-b:a',
    '128k',
    ...mp4OutputArgs(target.audios.map((audio) => audio.language)),
    output,
  ];
}

/** Non-fragmented MP4 with the index up front, so a browser can start playing before the download ends. */
export function mp4OutputArgs(audioLanguages: (string | undefined)[]): string[] {
  return [
    ...audioLanguages.flatMap((language, n) => (language ? [`-metadata:s:a:${n}`, `language=${language}`] : [])),
    '-movflags',
    '+faststart',
    '-f',
    'mp4',
  ];
}

function mapStreams(inputIndex: number, streams: StreamRef[]): string[] {
  return streams.flatMap((stream) => ['-map', `${inputIndex}:${stream.index}`]);
}

/** Seconds as ffmpeg reads them, to the microsecond and never negative. */
export function seconds(value: number): string {
  return Math.max(0, value).toFixed(6);
}
