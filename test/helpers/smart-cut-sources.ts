import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** Sources encoded the way real content is (x264 and x265 with B-frames), and what tests read from the cut results. */

const QUIET = ['-hide_banner', '-loglevel', 'error', '-y'];
const AUDIO = ['-c:a', 'aac', '-b:a', '24k', '-ac', '1', '-ar', '22050'];
const lavfi = (graph: string) => ['-f', 'lavfi', '-i', graph];

/** Frames per second, length and keyframe interval of the smart-cut sources. */
export const SMART_FPS = 25;
export const SMART_SECONDS = 6;
const SMART_GOP = ['-g', '50', '-keyint_min', '50', '-sc_threshold', '0', '-pix_fmt', 'yuv420p'];

export interface SmartCutSources {
  /** x264 `veryfast` (B-frames, b-pyramid, CABAC), as streaming encoders encode: closed GOPs of 2 s. */
  veryfast: string;
  /** x264 `medium`: more references, adaptive B-frames, psy-RD (its chroma QP offset is printed lowered). */
  medium: string;
  /** x264 with open GOPs: each keyframe's leading B-frames refer to the GOP before. */
  openGop: string;
  /** x265 (its default open GOP: CRA keyframes with RASL pictures). */
  hevc: string;
  /** x264 with the JVT quantisation matrices, which the matching encoder does not reproduce. */
  unmatchable: string;
  /** x264 without its options SEI: to the service, a source from an unknown encoder. */
  unknownEncoder: string;
  /** Two x264 `veryfast` renditions, 320x180 with a keyframe every 2 s and 160x90 every 1 s, and the audio. */
  renditions: string;
}

/** Six-second 320x180 25 fps sources with a mono audio track, encoded as real content is; a few seconds in all. */
export function generateSmartCutSources(dir: string): SmartCutSources {
  mkdirSync(dir, { recursive: true });
  const encode = (name: string, video: string[]) => {
    const file = join(dir, name);
    execFileSync('ffmpeg', [
      ...QUIET,
      ...lavfi(`testsrc2=size=320x180:rate=${SMART_FPS}:duration=${SMART_SECONDS}`),
      ...lavfi(`sine=frequency=440:sample_rate=22050:duration=${SMART_SECONDS}`),
      ...video,
      ...SMART_GOP,
      ...AUDIO,
      file,
    ]);
    return file;
  };
  const x264 = (preset: string, params?: string) => [
    ...['-c:v', 'libx264', '-preset', preset],
    ...(params ? ['-x264-params', params] : []),
  ];
  const veryfast = encode('veryfast.mp4', x264('veryfast'));
  const unknownEncoder = join(dir, 'unknown-encoder.mp4');
  execFileSync('ffmpeg', [
    ...QUIET,
    '-i',
    veryfast,
    ...['-c', 'copy', '-bsf:v', 'filter_units=remove_types=6'],
    unknownEncoder,
  ]);
  const renditions = join(dir, 'renditions.mp4');
  execFileSync('ffmpeg', [
    ...QUIET,
    ...lavfi(`testsrc2=size=320x180:rate=${SMART_FPS}:duration=${SMART_SECONDS}`),
    ...lavfi(`testsrc2=size=160x90:rate=${SMART_FPS}:duration=${SMART_SECONDS}`),
    ...lavfi(`sine=frequency=440:sample_rate=22050:duration=${SMART_SECONDS}`),
    ...['-map', '0', '-map', '1', '-map', '2'],
    ...x264('veryfast'),
    ...SMART_GOP,
    ...['-g:v:1', '25', '-keyint_min:v:1', '25'],
    ...AUDIO,
    renditions,
  ]);
  return {
    veryfast,
    renditions,
    medium: encode('medium.mp4', x264('medium')),
    openGop: encode('open-gop.mp4', x264('veryfast', 'open-gop=1')),
    hevc: encode('hevc.mp4', ['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error']),
    unmatchable: encode('unmatchable.mp4', x264('veryfast', 'cqm=jvt')),
    unknownEncoder,
  };
}

/** framemd5 hashes of the first video's decoded pictures, in output order: of the whole file, or `frames` of them from `fromSeconds`. */
export function pictureHashes(file: string, from?: { seconds: number; frames: number }, video = 0): string[] {
  const output = execFileSync(
    'ffmpeg',
    [
      ...QUIET,
      ...(from ? ['-ss', from.seconds.toFixed(3)] : []),
      '-i',
      file,
      ...['-map', `0:v:${video}`, ...(from ? ['-frames:v', String(from.frames)] : []), '-f', 'framemd5', '-'],
    ],
    { encoding: 'utf8' },
  );
  return output
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => line.split(',').at(-1)!.trim());
}

/** What the decoder writes to stderr at `-v error` decoding the whole file: empty for a clean file. */
export function decodeErrors(file: string): string {
  return spawnSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-'], { encoding: 'utf8' }).stderr;
}

/**
 * An H.264 MP4 as a player that reads only its avcC decodes it: a copy without the parameter sets
 * inside its samples (ffmpeg itself would switch to those).
 */
export function avcCOnly(file: string): string {
  const stripped = `${file}.avcc-only.mp4`;
  execFileSync('ffmpeg', [
    ...QUIET,
    ...['-i', file, '-map', '0:v', '-c', 'copy', '-bsf:v', 'filter_units=remove_types=7|8'],
    stripped,
  ]);
  return stripped;
}

/** The first video's codec extradata (avcC, hvcC) as an MD5: what a player reading only the MP4's header decodes with. */
export function extradataHash(file: string): string {
  return execFileSync(
    'ffprobe',
    [
      '-v',
      'error',
      '-select_streams',
      'v:0',
      '-show_data_hash',
      'md5',
      '-show_entries',
      'stream=extradata_hash',
      '-of',
      'csv=p=0',
      file,
    ],
    { encoding: 'utf8' },
  ).trim();
}
