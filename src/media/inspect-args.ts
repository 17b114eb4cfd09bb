import { concatInputArgs, inputArgs, MediaInput, seconds } from './ffmpeg-args.js';
import type { SmartCodec } from './nal-units.js';

/** Commands that look into a video without changing it: its first picture's bytes, a decode. */

/** The first picture of a video stream as Annex B on stdout, its parameter sets in front (added from the header by the copy). */
export function firstPictureArgs(input: MediaInput, streamIndex: number, codec: SmartCodec): string[] {
  return [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    ...inputArgs(input),
    '-map',
    `0:${streamIndex}`,
    '-c',
    'copy',
    '-frames:v',
    '1',
    '-f',
    codec,
    'pipe:1',
  ];
}

/** What a decode check reads: a local file, or the pieces a concat list (concatList) names, as the concat demuxer joins them. */
export interface DecodeSource {
  path: string;
  concat: boolean;
}

/**
 * Decodes the source's `video`th video stream from its start (a seek in MPEG-TS may land off a keyframe
 * and report errors of its own), for `readSeconds` or to the end: errors go to stderr, each
 * picture's time to stdout. What is checked is what the decoder reads, not what it shows: it skips
 * the deblocking filter (deterministic arithmetic on pictures already decoded, with nothing to fail),
 * and hands each picture on by reference (`wrapped_avframe`), so framecrc sums a few bytes a picture
 * instead of copying and summing the picture. One decoding thread: the checks run beside the cuts,
 * so CPU time is what they cost. A 1080p join's check (66 pictures, medians of 5): 0.51 s of CPU
 * with raw pictures and the filter, 0.39 s without (a damaged head fails both the same way).
 */
export function decodeCheckArgs(source: DecodeSource, video: number, readSeconds?: number): string[] {
  return [
    '-hide_banner',
    '-nostdin',
    '-v',
    'error',
    '-threads',
    '1',
    '-skip_loop_filter',
    'all',
    ...(source.concat ? concatInputArgs(source.path) : ['-i', source.path]),
    ...(readSeconds === undefined ? [] : ['-t', seconds(readSeconds)]),
    '-map',
    `0:v:${video}`,
    '-fps_mode',
    'passthrough',
    '-c:v',
    'wrapped_avframe',
    '-f',
    'framecrc',
    'pipe:1',
  ];
}

export interface DecodeCheck {
  /** What the decoder complained about, one message a line. */
  errors: string[];
  /** The pictures' times, in the order the decoder put them out (its time base's ticks). */
  pictureTimes: number[];
}

export function parseDecodeCheck(stdout: string, stderr: string): DecodeCheck {
  return {
    errors: stderr
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== ''),
    // framecrc lines: stream, dts, pts, duration, size, checksum.
    pictureTimes: stdout
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('#'))
      .map((line) => Number(line.split(',')[2])),
  };
}

/** Pictures put out in presentation order, none twice: a join whose pictures reorder wrongly shows here. */
export function inPresentationOrder(times: number[]): boolean {
  return times.every((time, n) => n === 0 || time > times[n - 1]);
}
