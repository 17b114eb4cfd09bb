import { writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Injectable, Logger } from '@nestjs/common';
import {
  concatList,
  copyCutArgs,
  MediaInput,
  reencodeCutArgs,
  stitchCopyArgs,
  stitchNormalisedArgs,
  StreamRef,
  TargetLayout,
} from '../media/ffmpeg-args.js';
import { Ffmpeg, MediaCommandAborted, MediaCommandError, RunOptions } from '../media/ffmpeg.js';
import { stitchPiecesArgs } from '../media/smart-cut-args.js';
import { matchingEncoderArgs, SourceEncoding } from '../media/matching-encoder.js';
import type { SmartCodec } from '../media/nal-units.js';
import type { ProbedStream, ProbeResult } from '../media/probe-result.js';
import {
  ClipPlan,
  ClipScope,
  PacketWindow,
  picturesSeconds,
  planClip,
  planStitch,
  reencodeInstead,
  RequestedClip,
  scopeClip,
  StitchPlan,
} from './cut-plan.js';
import { maySmartCut } from './frame-accurate-cut.js';
import { SmartCutJob, SmartCutRejected, SmartCutter, SmartPieces } from './smart-cutter.js';
import { setupsKnownBySource } from './stream-selection.js';
import type { CutMethodName } from './vod-download.entity.js';
import { Metrics } from '../observability/metrics.js';
import { mapConcurrently } from '../common/map-concurrently.js';

export interface ClipRequest extends RequestedClip {
  input: MediaInput;
  /** How the clip is named in failure reasons, e.g. its source. */
  label: string;
}

export interface RenderRequest {
  clips: ClipRequest[];
  frameAccurate: boolean;
  /** The MP4 to write; the caller renames it into place. */
  output: string;
  /** An empty directory for intermediate files; the caller removes it. */
  workDir: string;
}

export interface RenderOptions {
  signal?: AbortSignal;
  /** Fraction done, 0 to 1. */
  onProgress?: (fraction: number) => void;
}

export interface RenderResult {
  /** How the download's video was made: the most re-encoding any clip needed, or `reencode` when the stitch re-encoded. */
  cutMethod: CutMethodName;
}

/** A reason the download cannot be made that a person can act on; no stack trace needed. */
export class RenderError extends Error {}

const METHOD_RANK: CutMethodName[] = ['copy', 'smart', 'reencode'];

/** A clip's plan, with where its intermediate file goes. */
interface PlannedClip {
  request: ClipRequest;
  plan: ClipPlan;
  output: string;
  /** A smart cut whose pieces are not joined into `output` yet (see render). */
  pending?: { job: SmartCutJob; pieces: SmartPieces };
}

/** Per render: each source video's encoding is read once, however many clips it has. */
type EncodingLookup = (
  input: MediaInput,
  video: ProbedStream,
  signal: AbortSignal | undefined,
) => Promise<SourceEncoding | undefined>;

/**
 * Clips cut at once within one download: one more than the machine has cores. Their ffmpeg
 * processes mostly wait on reads and start-ups, or encode a few pictures each; one more keeps the
 * cores busy while one waits (3-clip frame-accurate downloads on 2 cores, medians of 4 alternating
 * runs: 1080p 4.06 s → 3.88 s, x265 720p 4.28 s → 4.05 s).
 */
const CLIP_CONCURRENCY = availableParallelism() + 1;

/** Clips planned at once: planning reads a few hundred kilobytes per clip and waits on ffprobe's start-ups. */
const PLAN_CONCURRENCY = Math.max(8, CLIP_CONCURRENCY);

/** How far stream durations may fall short of the whole before a track counts as truncated. */
const TRUNCATION_TOLERANCE_SECONDS = 0.5;

/**
 * Turns clip requests into one MP4: probe each source and read the video packets its cut plan
 * needs (see cut-plan.ts, which decides), cut each clip into an MPEG-TS intermediate (stream
 * copy; frame-accurate by the smart cut, which re-encodes only the pictures before the first
 * keyframe and after the last clean point, checked and else re-encoded whole), then stitch by
 * copy when the clips share a track layout and re-encode to a common layout when they do not.
 * A download of smart cuts of one layout is stitched straight from their pieces.
 */
@Injectable()
export class DownloadRenderer {
  private readonly logger = new Logger(DownloadRenderer.name);
  private readonly smartCutter: SmartCutter;

  constructor(
    private readonly ffmpeg: Ffmpeg,
    private readonly metrics: Metrics,
  ) {
    this.smartCutter = new SmartCutter(ffmpeg);
  }

  async render(request: RenderRequest, options: RenderOptions = {}): Promise<RenderResult> {
    const { signal } = options;
    // Clips often share a source; each ffprobe start costs a couple of hundred milliseconds.
    const probes = new Map<string, Promise<ProbeResult>>();
    const probe = (input: MediaInput, probeSignal: AbortSignal) => {
      if (!probes.has(input.location)) {
        const probed = this.ffmpeg.probe(input, probeSignal);
        probes.set(
          input.location,
          probed.then((result) => setupsKnownBySource(result, input.location)),
        );
      }
      return probes.get(input.location)!;
    };
    const encodings = new Map<string, Promise<SourceEncoding | undefined>>();
    const encodingOf: EncodingLookup = (input, video, lookupSignal) => {
      const key = `${video.index} ${input.location}`;
      if (!encodings.has(key)) {
        const stream = { index: video.index, codec: video.codec as SmartCodec, pixelFormat: video.pixelFormat };
        encodings.set(key, this.ffmpeg.sourceEncoding(input, stream, lookupSignal));
      }
      return encodings.get(key)!;
    };
    // The clips are independent until the stitch: planned, then cut, several at once.
    const clips: PlannedClip[] = await mapConcurrently(
      request.clips,
      PLAN_CONCURRENCY,
      async (clip, n, clipSignal) => {
        // A frame-accurate clip's video may be smart cut: its source's encoding is read beside its packets.
        const readEncodings = (scope: ClipScope) => {
          if (!request.frameAccurate) return;
          for (const video of scope.streams.filter((stream) => stream.type === 'video' && maySmartCut(stream.codec)))
            encodingOf(clip.input, video, clipSignal).catch(() => undefined);
        };
        const plan = await this.forClip(n, clip, async () => {
          const planned = await this.planClip(clip, request.frameAccurate, probe, clipSignal, readEncodings);
          // A smart cut starts from its source's encoding, read since its scope was known: a read
          // that failed fails the clip here.
          for (const video of smartVideos(planned)) await encodingOf(clip.input, video, clipSignal);
          return planned;
        });
        return { request: clip, plan, output: join(request.workDir, `clip-${n}.ts`) };
      },
      signal,
    );
    // The smart cuts' decode checks outlive their cut; none outlives the render.
    const stopChecks = new AbortController();
    const checkSignal = signal ? AbortSignal.any([signal, stopChecks.signal]) : stopChecks.signal;
    try {
      return await this.cutAndStitch(clips, request, options, encodingOf, checkSignal);
    } finally {
      stopChecks.abort(new Error('the render is over'));
      await Promise.allSettled(clips.map((clip) => clip.pending?.pieces.checks));
    }
  }

  /** Cuts the planned clips and stitches them into the download (render's second half). */
  private async cutAndStitch(
    clips: PlannedClip[],
    request: RenderRequest,
    options: RenderOptions,
    encodingOf: EncodingLookup,
    checkSignal: AbortSignal,
  ): Promise<RenderResult> {
    const { signal } = options;
    const planned = planStitch(clips.map((clip) => clip.plan));
    const total = planned.durationSeconds;
    // When every clip is a smart cut and their layouts match, the download is stitched straight
    // from the clips' pieces: no clip is joined on its own first (a copy of the whole clip).
    const piecesOnly = planned.byCopy && clips.every((clip) => clip.plan.method.kind === 'smart');
    // Stitching by copy is nearly free; re-encoding to a common layout costs about as much as the cuts.
    const cutShare = planned.byCopy ? 0.95 : 0.5;
    // Seconds of each clip cut so far; a clip may take several commands (a fallback): its progress only moves on.
    const reached = clips.map(() => 0);
    await mapConcurrently(
      clips,
      CLIP_CONCURRENCY,
      async (clip, n, clipSignal) => {
        const duration = clip.plan.durationSeconds;
        const report = (seconds: number) => {
          reached[n] = Math.max(reached[n], Math.min(seconds, duration));
          options.onProgress?.((cutShare * reached.reduce((sum, value) => sum + value, 0)) / total);
        };
        // Decode checks run on behind the cuts, at most twice as many as cuts at once (a tighter
        // bound held the third of three clips back for the first one's checks: +0.4 s at 720p).
        await clips[n - 2 * CLIP_CONCURRENCY]?.pending?.pieces.checks.catch(() => undefined);
        const cutOptions = { signal: clipSignal, onProgress: report };
        clip.plan = await this.forClip(n, clip.request, () =>
          this.metrics.timeCut(
            duration,
            () => this.cut(clip, encodingOf, clips.length > 1, cutOptions, piecesOnly ? checkSignal : undefined),
            (plan) => plan.method.kind,
          ),
        );
      },
      signal,
    );
    const stitchOptions = {
      signal,
      onProgress: (seconds: number) =>
        options.onProgress?.(cutShare + ((1 - cutShare) * Math.min(seconds, total)) / total),
    };
    const stitchedFromPieces = clips.every((clip) => clip.pending)
      ? await this.stitchPieces(clips, planned, request, stitchOptions).catch((error: unknown) => {
          throw error instanceof RenderError ? error : joiningFailed(error);
        })
      : undefined;
    if (!stitchedFromPieces) {
      await this.joinPieces(clips, signal);
      await this.stitchClips(clips, request, stitchOptions);
    }
    // A clip re-encoded after a failed smart cut may have changed codec.
    const stitch = planStitch(clips.map((clip) => clip.plan));
    await this.checkNoTrackLost(request.output, stitch.target, stitch.durationSeconds, signal, stitchedFromPieces);
    // Clips stitched to a common layout were all re-encoded there, however they were cut.
    if (!stitch.byCopy) return { cutMethod: 'reencode' };
    const ranks = clips.map((clip) => METHOD_RANK.indexOf(clip.plan.method.kind));
    return { cutMethod: METHOD_RANK[Math.max(...ranks)] };
  }

  /**
   * The download straight from its clips' smart-cut pieces, while their decode checks finish.
   * Returns the MP4's probe, or undefined, having logged why, when a clip's check failed (that
   * clip is to be re-encoded: rejected, its pieces dropped) or the MP4 does not hold exactly the
   * planned pictures; the clips are then each joined on their own, whose checks say which failed.
   */
  private async stitchPieces(
    clips: PlannedClip[],
    planned: StitchPlan,
    request: RenderRequest,
    options: RunOptions,
  ): Promise<ProbeResult | undefined> {
    const pieces = clips.map((clip) => clip.pending!.pieces);
    const videoLists = pieces[0].videos.map((_, v) => join(request.workDir, `pieces-v${v}.txt`));
    await Promise.all(
      videoLists.map((list, v) => writeFile(list, concatList(pieces.flatMap((clip) => clip.videos[v])))),
    );
    const audioList = pieces[0].audio === undefined ? undefined : join(request.workDir, 'pieces-audio.txt');
    if (audioList) {
      // From the time 0 of each clip's audio, where its pictures start: its first packet lands where it did in the source.
      const audios = clips.map((clip, n) => ({
        path: pieces[n].audio!,
        durationSeconds: clip.plan.durationSeconds,
        inpointSeconds: 0,
      }));
      await writeFile(audioList, concatList(audios));
    }
    const audioLanguages = planned.target.audios.map((audio) => audio.language);
    const [stitched, ...checks] = await Promise.allSettled([
      this.ffmpeg.run(stitchPiecesArgs({ videoLists, audioList, audioLanguages, output: request.output }), options),
      ...pieces.map((clip) => clip.checks),
    ]);
    const aborted = [stitched, ...checks].find(
      (result) => result.status === 'rejected' && result.reason instanceof MediaCommandAborted,
    );
    if (aborted?.status === 'rejected') throw aborted.reason;
    let rejected = false;
    for (const [n, check] of checks.entries()) {
      if (check.status === 'fulfilled') continue;
      clips[n].pending = undefined;
      await this.forClip(n, clips[n].request, () =>
        check.reason instanceof SmartCutRejected
          ? this.reencodeRejected(clips[n], check.reason, options.signal)
          : Promise.reject(check.reason),
      );
      rejected = true;
    }
    if (rejected) return undefined;
    if (stitched.status === 'rejected') {
      if (!(stitched.reason instanceof MediaCommandError)) throw joiningFailed(stitched.reason);
      this.logger.warn(
        `Stitching the download from its clips' pieces failed (${stitched.reason.message}); joining each clip first`,
      );
      return undefined;
    }
    const probe = await this.ffmpeg.probe({ location: request.output, remote: false }, options.signal);
    // Every piece is cut to its planned count at most (-frames:v), so the total falls short of the
    // plan's exactly when some clip's does, and the clips' own joins then say which.
    const expected = clips.map((clip) => clip.plan.expectedFrames);
    if (expected.every((frames) => frames !== undefined)) {
      const total = expected.reduce((sum, frames) => sum + frames, 0);
      const wrong = probe.streams.find((stream) => stream.type === 'video' && stream.frameCount !== total);
      if (wrong) {
        this.logger.warn(
          `The download stitched from its clips' pieces has ${wrong.frameCount} pictures in a video instead of ${total}; joining each clip first`,
        );
        return undefined;
      }
    }
    return probe;
  }

  /** Joins each clip still in smart-cut pieces into its own MPEG-TS, re-encoding whole any that fails its checks. */
  private async joinPieces(clips: PlannedClip[], signal: AbortSignal | undefined): Promise<void> {
    await mapConcurrently(
      clips.filter((clip) => clip.pending),
      CLIP_CONCURRENCY,
      async (clip, _, clipSignal) => {
        const n = clips.indexOf(clip);
        const { job, pieces } = clip.pending!;
        clip.pending = undefined;
        await this.forClip(n, clip.request, async () => {
          try {
            await this.smartCutter.join(job, pieces, { signal: clipSignal });
          } catch (error) {
            if (!(error instanceof SmartCutRejected)) throw error;
            await this.reencodeRejected(clip, error, clipSignal);
          }
        });
      },
      signal,
    );
  }

  /** Joins the clips' MPEG-TS files into the download: by copy when they share a layout, else re-encoded to a common one. */
  private async stitchClips(clips: PlannedClip[], request: RenderRequest, options: RunOptions): Promise<void> {
    const stitch = planStitch(clips.map((clip) => clip.plan));
    const { target } = stitch;
    try {
      if (stitch.byCopy) {
        const list = join(request.workDir, 'clips.txt');
        await writeFile(
          list,
          concatList(clips.map((clip) => ({ path: clip.output, durationSeconds: clip.plan.durationSeconds }))),
        );
        await this.ffmpeg.run(
          stitchCopyArgs({
            list,
            audioLanguages: target.audios.map((audio) => audio.language),
            output: request.output,
          }),
          options,
        );
      } else {
        const normalised = clips.map(({ plan, output }) => ({
          path: output,
          durationSeconds: plan.durationSeconds,
          picturesSeconds: picturesSeconds(plan),
          videoCount: plan.layout.videos.length,
          audioCount: plan.layout.audios.length,
        }));
        await this.ffmpeg.run(stitchNormalisedArgs(normalised, target, request.output), options);
      }
    } catch (error) {
      throw joiningFailed(error);
    }
  }

  /** Probes the clip's source, reads the video packets its plan asks for, and plans the cut. */
  private async planClip(
    clip: ClipRequest,
    frameAccurate: boolean,
    probeSource: (input: MediaInput, signal: AbortSignal) => Promise<ProbeResult>,
    signal: AbortSignal,
    onScope: (scope: ClipScope) => void,
  ): Promise<ClipPlan> {
    const probe = await probeSource(clip.input, signal);
    const scope = scopeClip(clip, probe, frameAccurate);
    onScope(scope);
    const read = (streamIndex: number, window: PacketWindow | undefined) =>
      window &&
      this.ffmpeg.videoPackets(
        clip.input,
        { streamIndex, startSeconds: probe.startSeconds },
        window.fromSeconds,
        window.toSeconds,
        signal,
      );
    const readWindows = async (streamIndex: number) => {
      const [start, end] = await Promise.all([
        read(streamIndex, scope.windows.start),
        read(streamIndex, scope.windows.end),
      ]);
      return { start, end };
    };
    // A clip without video names no windows.
    if (!scope.video) return planClip(scope, {});
    const packets = await readWindows(scope.video.index);
    // Every selected video is smart cut on its own keyframes: read the same windows of each further one.
    const others = frameAccurate
      ? scope.streams.filter((stream) => stream.type === 'video' && stream !== scope.video)
      : [];
    const otherVideos = new Map(
      await Promise.all(others.map(async (stream) => [stream.index, await readWindows(stream.index)] as const)),
    );
    return planClip(scope, { ...packets, otherVideos });
  }

  /**
   * Cuts the clip as planned; a smart cut that cannot be made or fails its checks is re-encoded
   * whole. Given `piecesOnlyChecks`, a smart cut's pieces are left to be joined (clip.pending),
   * their decode checks stopped by that signal. `besideOthers`: other clips are cut at the same
   * time (see SmartCutJob). Returns the plan carried out.
   */
  private async cut(
    clip: PlannedClip,
    encodingOf: EncodingLookup,
    besideOthers: boolean,
    options: RunOptions,
    piecesOnlyChecks: AbortSignal | undefined,
  ): Promise<ClipPlan> {
    const { plan, output } = clip;
    const { input } = clip.request;
    if (plan.method.kind !== 'smart') {
      await this.cutWhole(input, plan, output, options);
      return plan;
    }
    const { method } = plan;
    const tracks = [{ videoIndex: plan.video!.index, ...method }, ...(method.others ?? [])];
    const videos = smartVideos(plan);
    try {
      const encoded = [];
      for (const [n, track] of tracks.entries()) {
        const encoding = await encodingOf(input, videos[n], options.signal);
        const encoder = encoding && matchingEncoderArgs(encoding);
        if (!encoding || !encoder) throw new SmartCutRejected('its video was not encoded by x264 or x265');
        encoded.push({ ...track, encoding, encoder });
      }
      const job: SmartCutJob = { input, plan, tracks: encoded, output, besideOthers };
      if (piecesOnlyChecks) {
        clip.pending = { job, pieces: await this.smartCutter.cutPieces(job, options, piecesOnlyChecks) };
      } else {
        await this.smartCutter.cut(job, options);
      }
      return plan;
    } catch (error) {
      if (!(error instanceof SmartCutRejected)) throw error;
      this.logRejected(clip, error);
    }
    const whole = reencodeInstead(plan);
    await this.cutWhole(input, whole, output, options);
    return whole;
  }

  /** A smart cut that failed a check after it was cut, re-encoded whole (and timed as such). */
  private async reencodeRejected(clip: PlannedClip, rejection: SmartCutRejected, signal?: AbortSignal): Promise<void> {
    this.logRejected(clip, rejection);
    clip.plan = reencodeInstead(clip.plan);
    await this.metrics.timeCut(
      clip.plan.durationSeconds,
      () => this.cutWhole(clip.request.input, clip.plan, clip.output, { signal }),
      () => 'reencode',
    );
  }

  private logRejected(clip: PlannedClip, rejection: SmartCutRejected): void {
    const { label, input } = clip.request;
    this.logger.warn(
      `Clip ${label} (${input.location}) cannot be smart cut: ${rejection.message}; re-encoding it whole`,
    );
  }

  /** A stream copy, or a whole re-encode. */
  private async cutWhole(input: MediaInput, plan: ClipPlan, output: string, options: RunOptions): Promise<void> {
    const refs: StreamRef[] = plan.streams.map((stream) => ({
      index: stream.index,
      type: stream.type as 'video' | 'audio',
    }));
    const { method, halfFrameSeconds, video } = plan;
    if (method.kind === 'copy') {
      const { fromSeconds, untilDecodeSeconds } = method.copy;
      await this.ffmpeg.run(
        copyCutArgs({ input, streams: refs, fromSeconds, untilDecodeSeconds, halfFrameSeconds, output }),
        options,
      );
    } else if (method.kind === 'reencode') {
      await this.ffmpeg.run(
        reencodeCutArgs({
          input,
          streams: refs,
          startSeconds: method.encode.fromSeconds,
          endSeconds: method.encode.untilSeconds,
          frames: plan.expectedFrames,
          encoding: { pixelFormat: video?.pixelFormat },
          output,
        }),
        options,
      );
    }
  }

  /** Guards against the concat step dropping or cutting short a track: every stream must be there and last the whole. */
  private async checkNoTrackLost(
    output: string,
    target: TargetLayout,
    expectedSeconds: number,
    signal?: AbortSignal,
    probed?: ProbeResult,
  ) {
    const result = probed ?? (await this.ffmpeg.probe({ location: output, remote: false }, signal));
    const videos = result.streams.filter((stream) => stream.type === 'video');
    const audios = result.streams.filter((stream) => stream.type === 'audio');
    if (videos.length !== target.videos.length || audios.length !== target.audios.length) {
      throw new RenderError(
        `The joined MP4 has ${videos.length} video and ${audios.length} audio track(s) instead of ${target.videos.length} and ${target.audios.length}`,
      );
    }
    const short = [...videos, ...audios].find(
      (stream) => (stream.durationSeconds ?? expectedSeconds) < expectedSeconds - TRUNCATION_TOLERANCE_SECONDS,
    );
    if (short) {
      throw new RenderError(
        `The joined MP4's ${short.type} track ${short.index} lasts ${short.durationSeconds?.toFixed(3)} s instead of ${expectedSeconds.toFixed(3)} s`,
      );
    }
  }

  /** Runs one clip's step, naming the clip in a failure. */
  private async forClip<T>(n: number, clip: ClipRequest, step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      if (error instanceof MediaCommandAborted) throw error;
      throw new RenderError(`Clip ${n + 1} (${clip.label}): ${(error as Error).message}`);
    }
  }
}

/** A failure to join the clips into the download, said so (a stop stays a stop). */
function joiningFailed(error: unknown): unknown {
  return error instanceof MediaCommandAborted
    ? error
    : new RenderError(`Joining the clips failed: ${(error as Error).message}`);
}

/** The videos a smart cut re-encodes pieces of, in its tracks' order; none for any other cut. */
function smartVideos(plan: ClipPlan): ProbedStream[] {
  if (plan.method.kind !== 'smart') return [];
  const indexes = [plan.video!.index, ...(plan.method.others ?? []).map((track) => track.videoIndex)];
  return indexes.map((index) => plan.streams.find((stream) => stream.index === index)!);
}
