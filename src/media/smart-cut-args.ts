import type { SmartCodec } from './nal-units.js';
import { COMMON, concatInputArgs, inputArgs, INTERMEDIATE, MediaInput, mp4OutputArgs, seconds } from './ffmpeg-args.js';

/** An encoded piece: `frames` pictures from the picture at `fromSeconds`. */
export interface EncodedPiece {
  fromSeconds: number;
  untilSeconds: number;
  frames: number;
  output: string;
}

export interface SmartCutOptions {
  input: MediaInput;
  videoIndex: number;
  codec: SmartCodec;
  audioIndexes: number[];
  halfFrameSeconds: number;
  /** The matching encoder's output arguments (matchingEncoderArgs). */
  encoder: string[];
  /** Threads for each decoder of a re-encoded piece; undefined lets ffmpeg choose (as many as the cores). */
  decoderThreads: number | undefined;
  head: EncodedPiece | undefined;
  /** Copied from the keyframe at `fromSeconds`: `frames` packets (undefined: to the end). */
  body: { fromSeconds: number; frames: number | undefined; output: string };
  tail: EncodedPiece | undefined;
  /** The clip's audio, cut once from the first picture to the last (undefined: no audio selected). */
  audio: { fromSeconds: number; untilSeconds: number; output: string } | undefined;
}

/** How far past an encoded piece its input is read, so the decoder gives the encoder every picture counted. */
const READ_MARGIN_SECONDS = 0.5;

/**
 * A smart cut's pieces in one ffmpeg process, each read through its own input so nothing is
 * decoded that is not encoded: the head and tail re-encoded with the source's own settings (seek
 * to the keyframe before, decode up to the picture; `-frames:v` stops on the exact count), the
 * body copied from its keyframe with the leading pictures shown before it dropped (they refer
 * to the GOP before), its parameter sets in band on every keyframe, and stopped after its packet count (`-t` would stop by decode time, a
 * few pictures late with B-frames), and the audio copied once for the whole clip.
 */
export function smartCutArgs(options: SmartCutOptions): string[] {
  const { input, videoIndex, halfFrameSeconds, head, body, tail, audio } = options;
  const pieces: { input: string[]; output: string[] }[] = [];
  const encoded = (piece: EncodedPiece) => ({
    input: [
      ...(options.decoderThreads === undefined ? [] : ['-threads', String(options.decoderThreads)]),
      ...inputArgs(
        input,
        piece.fromSeconds - halfFrameSeconds,
        piece.untilSeconds - piece.fromSeconds + halfFrameSeconds + READ_MARGIN_SECONDS,
      ),
    ],
    output: [
      '-map',
      `${pieces.length}:${videoIndex}`,
      '-frames:v',
      String(piece.frames),
      ...options.encoder,
      ...INTERMEDIATE,
      piece.output,
    ],
  });
  if (head) pieces.push(encoded(head));
  pieces.push({
    input: inputArgs(input, Math.max(0, body.fromSeconds - halfFrameSeconds)),
    output: [
      '-map',
      `${pieces.length}:${videoIndex}`,
      ...(body.frames === undefined ? [] : ['-frames:v', String(body.frames)]),
      '-c',
      'copy',
      '-copypriorss',
      '0',
      '-bsf:v',
      // An open GOP's keyframe is no IDR, before which alone the MP4-to-Annex-B filter puts the parameter sets.
      `noise=drop=lt(pts\\,startpts),${options.codec}_mp4toannexb,dump_extra=freq=keyframe`,
      ...INTERMEDIATE,
      body.output,
    ],
  });
  if (tail) pieces.push(encoded(tail));
  if (audio) {
    pieces.push({
      input: inputArgs(input, audio.fromSeconds),
      output: [
        ...options.audioIndexes.flatMap((index) => ['-map', `${pieces.length}:${index}`]),
        '-t',
        seconds(audio.untilSeconds - audio.fromSeconds),
        '-c',
        'copy',
        // Drops the audio packets before the start that the seek brings along.
        '-copypriorss',
        '0',
        ...INTERMEDIATE,
        audio.output,
      ],
    });
  }
  return [...COMMON, ...pieces.flatMap((piece) => piece.input), ...pieces.flatMap((piece) => piece.output)];
}

export interface JoinPiecesOptions {
  /** Per video, in output order, the concat list naming its pieces in order. */
  videoLists: string[];
  audio: string | undefined;
  audioStreamCount: number;
  output: string;
}

/** Joins a smart cut's video pieces (by the concat demuxer, per video) with its audio into one clip, all by copy. */
export function joinPiecesArgs(options: JoinPiecesOptions): string[] {
  const audio = options.audio ? ['-i', options.audio] : undefined;
  return [
    ...COMMON,
    ...piecesByCopy(options.videoLists, audio, options.audioStreamCount),
    ...INTERMEDIATE,
    options.output,
  ];
}

export interface StitchPiecesOptions {
  /** Per video, in output order, the concat list naming every clip's pieces in order. */
  videoLists: string[];
  /** The concat list naming every clip's audio in order; undefined without audio. */
  audioList: string | undefined;
  /** ISO 639-2 language per output audio stream, in order; undefined leaves the stream untagged. */
  audioLanguages: (string | undefined)[];
  output: string;
}

/** The download's MP4 straight from every clip's smart-cut pieces, all by copy: no clip is joined first. */
export function stitchPiecesArgs(options: StitchPiecesOptions): string[] {
  const audio = options.audioList ? concatInputArgs(options.audioList) : undefined;
  return [
    ...COMMON,
    ...piecesByCopy(options.videoLists, audio, options.audioLanguages.length),
    ...mp4OutputArgs(options.audioLanguages),
    options.output,
  ];
}

/** Each video from its concat list, then `audioStreamCount` audio streams from the last input, all copied. */
function piecesByCopy(videoLists: string[], audioInput: string[] | undefined, audioStreamCount: number): string[] {
  return [
    ...videoLists.flatMap((list) => concatInputArgs(list)),
    ...(audioInput ?? []),
    ...videoLists.flatMap((_, n) => ['-map', `${n}:v:0`]),
    ...Array.from({ length: audioInput ? audioStreamCount : 0 }, (_, n) => [
      '-map',
      `${videoLists.length}:a:${n}`,
    ]).flat(),
    '-c',
    'copy',
  ];
}
