import { open, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { concatList, MediaInput } from '../media/ffmpeg-args.js';
import { Ffmpeg, MediaCommandAborted, MediaCommandError, RunOptions } from '../media/ffmpeg.js';
import { DecodeSource, inPresentationOrder } from '../media/inspect-args.js';
import { SourceEncoding } from '../media/matching-encoder.js';
import { MpegTsError, MpegTsVideo } from '../media/mpeg-ts.js';
import { readMpegTsVideo } from '../media/mpeg-ts-file.js';
import {
  craToBla,
  FIRST_PICTURE_SEARCH_BYTES,
  parameterSets,
  sameParameterSets,
  splitNalUnits,
} from '../media/nal-units.js';
import { joinPiecesArgs, smartCutArgs } from '../media/smart-cut-args.js';
import type { ClipPlan, SmartTrack } from './cut-plan.js';

/**
 * A body opens on a BLA picture, not a CRA (see craToBla): it follows a head, or the clip before it
 * in the download, never the pictures its CRA followed in the source. Bodies on an IDR are left alone.
 */
async function spliceAsBla(file: string): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    const start = Buffer.alloc(FIRST_PICTURE_SEARCH_BYTES);
    const { bytesRead } = await handle.read(start, 0, start.length, 0);
    const opening = start.subarray(0, bytesRead);
    if (craToBla(opening)) await handle.write(opening, 0, bytesRead, 0);
  } finally {
    await handle.close();
  }
}

/**
 * Waits for every one of these (so no check or ffmpeg still runs on the clip's files when it is
 * re-encoded instead), then fails with the first failure that matters most: a stop, then a failed
 * check (which a sequence of the same steps would have met first), then any other.
 */
async function settled(work: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(work);
  const failures = results.filter((result) => result.status === 'rejected').map((result) => result.reason as unknown);
  const failure =
    failures.find((reason) => reason instanceof MediaCommandAborted) ??
    failures.find((reason) => reason instanceof SmartCutRejected) ??
    failures[0];
  if (failure !== undefined) throw failure;
}

/** Marks a promise as handled now (it is awaited later, maybe after it fails); it still rejects for whoever awaits it. */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/** One of our own pieces or clips, read in-process; one that cannot be read fails the check, as a probe would. */
async function readIntermediate(
  file: string,
  video: number,
  options: { firstPictureOnly?: boolean; signal?: AbortSignal },
): Promise<MpegTsVideo> {
  try {
    return await readMpegTsVideo(file, video, options);
  } catch (error) {
    if (error instanceof MpegTsError) throw new SmartCutRejected(`${basename(file)} cannot be read: ${error.message}`);
    throw error;
  }
}

/** The smart cut's result failed a check; the clip is to be re-encoded whole. `message` says which. */
export class SmartCutRejected extends Error {}

/**
 * How far past the join of head and body its pictures are decoded to check it: past the body's
 * keyframe, only the mini-GOPs decoded next can meet what came before it (its leading pictures, picture
 * order counts, reference lists): at 25 fps, two of up to 4 B-frames. (A whole second of them,
 * 15 pictures more, cost a 1080p join's check about 0.03 s more of CPU: medians of 5.)
 */
const JOIN_CHECK_SECONDS = 0.4;

/** One video's smart cut, with the source's encoding of it and the arguments of the encoder that matches it. */
export interface EncodedTrack extends SmartTrack {
  videoIndex: number;
  encoding: SourceEncoding;
  encoder: string[];
}

export interface SmartCutJob {
  input: MediaInput;
  plan: ClipPlan;
  /** Every selected video, in output order; all cover the same pictures. */
  tracks: EncodedTrack[];
  /** The clip's MPEG-TS; its pieces are written beside it. */
  output: string;
  /**
   * Other clips are cut beside this one: each decoder of a re-encoded piece takes one thread, since
   * the cores are shared and CPU time is what it costs (3-clip downloads on 2 cores, medians of 4–5
   * alternating runs: 720p 2.45 s → 2.32 s, 1080p 4.26 s → 4.07 s). Alone, it may take them all.
   */
  besideOthers: boolean;
}

/** A clip's smart-cut pieces, each checked as it was made; `checks` settles when their decodes have. */
export interface SmartPieces {
  /** Per video, in output order, its pieces in order, each with its exact duration. */
  videos: { path: string; durationSeconds: number }[][];
  /** Per video, the concat list (concatList) of its pieces. */
  lists: string[];
  /** The clip's audio, cut once for the whole clip; undefined without audio. */
  audio: string | undefined;
  audioStreamCount: number;
  /** The decodes through each join and tail: rejects with SmartCutRejected when one fails. */
  checks: Promise<void>;
}

/**
 * Makes a smart cut (see frame-accurate-cut.ts) of every selected video and proves it: the
 * re-encoded pieces carry the source's parameter sets byte for byte, its pictures through the
 * join of head and body decode without a single error and come out in presentation order, and so
 * does the tail; joined (join), each video holds exactly the planned pictures with decode times
 * that only rise. A clip that fails any of these is rejected (SmartCutRejected), never delivered.
 * (A download stitched straight from the pieces is held to its total picture count instead: see
 * DownloadRenderer.)
 */
export class SmartCutter {
  constructor(private readonly ffmpeg: Ffmpeg) {}

  /** The clip's pieces, joined into its MPEG-TS and checked. */
  async cut(job: SmartCutJob, options: RunOptions): Promise<void> {
    await this.join(job, await this.cutPieces(job, options), options);
  }

  /**
   * Cuts the pieces of every selected video, checks each piece's parameter sets, and starts the
   * decodes through the joins and tails, which `checks` awaits: the caller joins the pieces (into
   * the clip, or straight into the download) while those run, and stops them with `checkSignal`.
   */
  async cutPieces(job: SmartCutJob, options: RunOptions, checkSignal = options.signal): Promise<SmartPieces> {
    const { plan, output, tracks } = job;
    const base = output.replace(/\.ts$/, '');
    const audios = plan.streams.filter((stream) => stream.type === 'audio');
    const audio = audios.length > 0 ? `${base}-audio.ts` : undefined;
    const videos: SmartPieces['videos'] = [];
    const lists: string[] = [];
    // The decodes need only the pieces: they run while the next video is cut and the pieces are joined.
    const decodeChecks: Promise<void>[] = [];
    try {
      for (const [n, track] of tracks.entries()) {
        const { head, body, tail } = track;
        const files = { head: `${base}-v${n}-head.ts`, body: `${base}-v${n}-body.ts`, tail: `${base}-v${n}-tail.ts` };
        // The audio is cut once, with the first video, over the pictures all videos share.
        const withAudio =
          n === 0 && audio ? { from: (head ?? body).fromSeconds, until: (tail ?? body).untilSeconds } : undefined;
        await this.cutTrack(
          smartCutArgs({
            input: job.input,
            videoIndex: track.videoIndex,
            codec: track.encoding.codec,
            audioIndexes: audios.map((stream) => stream.index),
            halfFrameSeconds: plan.halfFrameSeconds,
            encoder: track.encoder,
            decoderThreads: job.besideOthers ? 1 : undefined,
            head: head && { ...head, output: files.head },
            body: { fromSeconds: body.fromSeconds, frames: body.frames, output: files.body },
            tail: tail && { ...tail, output: files.tail },
            audio: withAudio && { fromSeconds: withAudio.from, untilSeconds: withAudio.until, output: audio! },
          }),
          options,
        );
        if (head) await this.checkParameterSets('head', files.head, track.encoding, options.signal);
        // After a head, or after the clip before it in the download.
        if (track.encoding.codec === 'hevc') await spliceAsBla(files.body);
        if (tail) await this.checkParameterSets('tail', files.tail, track.encoding, options.signal);
        // A tail starts on an IDR picture of its own: the body (a clean prefix) cannot break it, but its encode can.
        if (tail) {
          const tailOnly = { path: files.tail, concat: false };
          decodeChecks.push(handled(this.checkDecodes(tailOnly, undefined, 'tail', checkSignal)));
        }
        const pieces = [
          head && { path: files.head, span: head },
          { path: files.body, span: body },
          tail && { path: files.tail, span: tail },
        ]
          .filter((piece) => piece !== undefined)
          .map(({ path, span }) => ({ path, durationSeconds: span.untilSeconds - span.fromSeconds }));
        const list = `${base}-v${n}-pieces.txt`;
        await writeFile(list, concatList(pieces));
        videos.push(pieces);
        lists.push(list);
        // Through the join of head and body, where parameter sets, picture order counts and reference
        // lists meet, read as the join reads the pieces: the same packets, before they are written out.
        if (head) {
          const joined = { path: list, concat: true };
          const readSeconds = head.untilSeconds - head.fromSeconds + JOIN_CHECK_SECONDS;
          decodeChecks.push(handled(this.checkDecodes(joined, readSeconds, 'join', checkSignal)));
        }
      }
    } catch (error) {
      await Promise.allSettled(decodeChecks);
      throw error;
    }
    return { videos, lists, audio, audioStreamCount: audios.length, checks: handled(settled(decodeChecks)) };
  }

  /** Joins the clip's pieces into its MPEG-TS (job.output), and checks every joined video's pictures. */
  async join(job: SmartCutJob, pieces: SmartPieces, options: RunOptions): Promise<void> {
    const { plan, output, tracks } = job;
    const join = this.ffmpeg.run(
      joinPiecesArgs({
        videoLists: pieces.lists,
        audio: pieces.audio,
        audioStreamCount: pieces.audioStreamCount,
        output,
      }),
      { signal: options.signal },
    );
    await settled([join, pieces.checks]);
    await settled(tracks.map((_, n) => this.checkJoined(output, n, plan.expectedFrames, options.signal)));
  }

  /** Runs a smart cut's command; an encoder that refuses the source's settings, or fails on them, means no smart cut. */
  private async cutTrack(args: string[], options: RunOptions): Promise<void> {
    try {
      await this.ffmpeg.run(args, options);
    } catch (error) {
      if (error instanceof MediaCommandError)
        throw new SmartCutRejected(`its pieces could not be cut: ${error.message}`);
      throw error;
    }
  }

  private async checkParameterSets(piece: string, file: string, encoding: SourceEncoding, signal?: AbortSignal) {
    const { firstPicture } = await readIntermediate(file, 0, { firstPictureOnly: true, signal });
    const sets = parameterSets(encoding.codec, splitNalUnits(firstPicture ?? Buffer.alloc(0)));
    if (!sameParameterSets(sets, encoding.parameterSets)) {
      throw new SmartCutRejected(`the re-encoded ${piece}'s parameter sets differ from the source's`);
    }
  }

  /** The joined clip's `video`th video holds exactly the planned pictures, with decode times that only rise. */
  private async checkJoined(file: string, video: number, expectedFrames: number | undefined, signal?: AbortSignal) {
    const { packets } = await readIntermediate(file, video, { signal });
    if (expectedFrames !== undefined && packets.length !== expectedFrames) {
      throw new SmartCutRejected(`the joined clip has ${packets.length} pictures instead of ${expectedFrames}`);
    }
    if (!packets.every((packet, n) => n === 0 || packet.dts > packets[n - 1].dts)) {
      throw new SmartCutRejected('the joined clip has decode times out of order');
    }
  }

  /** The source's video decodes without a single error, its pictures coming out in presentation order. */
  private async checkDecodes(
    source: DecodeSource,
    readSeconds: number | undefined,
    what: string,
    signal?: AbortSignal,
  ) {
    const check = await this.ffmpeg.decodeCheck(source, 0, readSeconds, signal);
    if (check.errors.length > 0) throw new SmartCutRejected(`decoding the ${what} failed: ${check.errors[0]}`);
    if (!inPresentationOrder(check.pictureTimes)) {
      throw new SmartCutRejected(`the pictures of the ${what} come out of order`);
    }
  }
}
