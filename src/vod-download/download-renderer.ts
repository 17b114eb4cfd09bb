import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import {
  SEEK_EPSILON,
  concatList,
  copyCutArgs,
  joinPiecesArgs,
  MediaInput,
  reencodeCutArgs,
  smartCutArgs,
  stitchCopyArgs,
  stitchNormalisedArgs,
  StreamRef,
  TargetLayout,
} from '../media/ffmpeg-args.js';
import { Ffmpeg, MediaCommandAborted } from '../media/ffmpeg.js';
import type { ProbedStream, ProbeResult } from '../media/probe-result.js';
import { ClipLayout, sameLayout, selectStreams } from './stream-selection.js';
import { parseFilter } from './usp-filter.js';

export interface ClipRequest {
  input: MediaInput;
  /** How the clip is named in failure reasons, e.g. its source. */
  label: string;
  startSeconds: number;
  /** Undefined: to the end of the source. */
  endSeconds: number | undefined;
  filter: string | undefined;
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

/** A reason the download cannot be made that a person can act on; no stack trace needed. */
export class RenderError extends Error {}

type CutMethod =
  /**
   * `untilSeconds`: where the copied clip's pictures end (the end, or with B-frames the keyframe
   * after it; undefined: the source's end); `untilDecodeSeconds`: the first decode time left out.
   */
  | { kind: 'copy'; fromSeconds: number; untilSeconds: number | undefined; untilDecodeSeconds: number | undefined }
  /** `firstFrameSeconds`: the first frame at or after the start, where the re-encoded head begins. */
  | { kind: 'smart'; keyframeSeconds: number; firstFrameSeconds: number }
  | { kind: 'reencode' };

interface ClipPlan {
  request: ClipRequest;
  streams: ProbedStream[];
  /** The source's length, when ffprobe tells it. */
  sourceSeconds: number | undefined;
  startSeconds: number;
  endSeconds: number;
  halfFrameSeconds: number;
  method: CutMethod;
  layout: ClipLayout;
  output: string;
}

const KEYFRAME_SEARCH_SECONDS = 20;
/** How far stream durations may fall short of the whole before a track counts as truncated. */
const TRUNCATION_TOLERANCE_SECONDS = 0.5;

/**
 * Turns clip requests into one MP4: probe each source, select its streams, cut each clip into an
 * MPEG-TS intermediate (stream copy, or frame-accurate by re-encoding only up to the first
 * keyframe), then stitch by copy when the clips share a track layout and re-encode to a common
 * layout when they do not.
 */
@Injectable()
export class DownloadRenderer {
  constructor(private readonly ffmpeg: Ffmpeg) {}

  async render(request: RenderRequest, options: RenderOptions = {}): Promise<void> {
    const { signal } = options;
    const plans: ClipPlan[] = [];
    // Clips often share a source; each ffprobe start costs a couple of hundred milliseconds.
    const probes = new Map<string, Promise<ProbeResult>>();
    const probe = (input: MediaInput) => {
      if (!probes.has(input.location)) probes.set(input.location, this.ffmpeg.probe(input, signal));
      return probes.get(input.location)!;
    };
    for (const [n, clip] of request.clips.entries()) {
      plans.push(await this.forClip(n, clip, () => this.planClip(clip, request, n, probe, signal)));
    }
    const layouts = plans.map((plan) => plan.layout);
    const copyStitch = layouts.every((layout) => sameLayout(layout, layouts[0]));
    const total = plans.reduce((sum, plan) => sum + clipDuration(plan), 0);
    // Stitching by copy is nearly free; re-encoding to a common layout costs about as much as the cuts.
    const cutShare = copyStitch ? 0.95 : 0.5;
    let done = 0;
    for (const [n, plan] of plans.entries()) {
      const duration = clipDuration(plan);
      const report = (seconds: number) =>
        options.onProgress?.((cutShare * (done + Math.min(seconds, duration))) / total);
      await this.forClip(n, plan.request, () => this.cut(plan, request.workDir, { signal, onProgress: report }));
      done += duration;
    }

    const stitchProgress = (seconds: number) =>
      options.onProgress?.(cutShare + ((1 - cutShare) * Math.min(seconds, total)) / total);
    const target = targetLayout(plans);
    try {
      if (copyStitch) {
        const list = join(request.workDir, 'clips.txt');
        await writeFile(
          list,
          concatList(plans.map((plan) => ({ path: plan.output, durationSeconds: clipDuration(plan) }))),
        );
        await this.ffmpeg.run(
          stitchCopyArgs({
            list,
            audioLanguages: target.audios.map((audio) => audio.language),
            output: request.output,
          }),
          {
            signal,
            onProgress: stitchProgress,
          },
        );
      } else {
        const clips = plans.map((plan) => ({
          path: plan.output,
          durationSeconds: clipDuration(plan),
          videoCount: plan.layout.videos.length,
          audioCount: plan.layout.audios.length,
        }));
        await this.ffmpeg.run(stitchNormalisedArgs(clips, target, request.output), {
          signal,
          onProgress: stitchProgress,
        });
      }
    } catch (error) {
      throw error instanceof MediaCommandAborted
        ? error
        : new RenderError(`Joining the clips failed: ${(error as Error).message}`);
    }
    await this.checkNoTrackLost(request.output, target, total, signal);
  }

  private async planClip(
    clip: ClipRequest,
    request: RenderRequest,
    n: number,
    probeSource: (input: MediaInput) => Promise<ProbeResult>,
    signal?: AbortSignal,
  ): Promise<ClipPlan> {
    const probe = await probeSource(clip.input);
    const streams = selectStreams(probe.streams, clip.filter ? parseFilter(clip.filter) : undefined);
    if (streams.length === 0) {
      throw new RenderError(
        clip.filter
          ? `the filter ${clip.filter} selects no audio or video track of the source`
          : 'the source has no audio or video track',
      );
    }
    const endSeconds = this.checkRange(clip, probe);
    const videos = streams.filter((stream) => stream.type === 'video');
    const audios = streams.filter((stream) => stream.type === 'audio');
    const video = videos[0];
    const halfFrameSeconds = video ? 0.5 / (video.frameRate ?? 25) : 0;
    const plan = {
      request: clip,
      streams,
      sourceSeconds: probe.durationSeconds,
      startSeconds: clip.startSeconds,
      endSeconds,
      halfFrameSeconds,
      output: join(request.workDir, `clip-${n}.ts`),
    };
    const videoSource = video && { stream: video, sourceStartSeconds: probe.startSeconds };
    const method = await this.chooseCut(plan, videoSource, videos.length, request.frameAccurate, signal);
    const reencoded = method.kind === 'reencode';
    return {
      ...plan,
      method,
      layout: {
        videos: videos.map((stream) => ({
          codec: reencoded ? 'h264' : stream.codec,
          width: stream.width ?? 0,
          height: stream.height ?? 0,
        })),
        audios: audios.map((stream) => ({
          codec: stream.codec,
          sampleRate: stream.sampleRate ?? 0,
          channels: stream.channels ?? 0,
        })),
      },
    };
  }

  private checkRange(clip: ClipRequest, probe: ProbeResult): number {
    const length = probe.durationSeconds;
    const endSeconds = clip.endSeconds ?? length;
    if (endSeconds === undefined) {
      throw new RenderError(
        'the length of the source cannot be told (a live stream?): give the clip a start and an end',
      );
    }
    if (length !== undefined && clip.startSeconds >= length) {
      throw new RenderError(
        `the clip starts at ${clip.startSeconds.toFixed(3)} s but the source is only ${length.toFixed(3)} s long`,
      );
    }
    if (length !== undefined && endSeconds > length + 0.05) {
      throw new RenderError(
        `the clip ends at ${endSeconds.toFixed(3)} s but the source is only ${length.toFixed(3)} s long`,
      );
    }
    return endSeconds;
  }

  /**
   * Stream copy starts on the keyframe at or before the start. Frame-accurate cuts copy too when
   * the start is a keyframe, re-encode only the frames before the next keyframe when there is
   * exactly one H.264 video without B-frames, and re-encode the whole clip otherwise.
   */
  private async chooseCut(
    plan: Pick<ClipPlan, 'request' | 'sourceSeconds' | 'startSeconds' | 'endSeconds' | 'halfFrameSeconds'>,
    videoSource: { stream: ProbedStream; sourceStartSeconds: number } | undefined,
    videoCount: number,
    frameAccurate: boolean,
    signal?: AbortSignal,
  ): Promise<CutMethod> {
    const { startSeconds, endSeconds, halfFrameSeconds } = plan;
    const toSourceEnd = plan.sourceSeconds !== undefined && endSeconds >= plan.sourceSeconds - halfFrameSeconds;
    const copyTo = (until: number | undefined, untilDecode = until) =>
      toSourceEnd
        ? { untilSeconds: undefined, untilDecodeSeconds: undefined }
        : { untilSeconds: until, untilDecodeSeconds: untilDecode };
    if (!videoSource) return { kind: 'copy', fromSeconds: startSeconds, ...copyTo(endSeconds) };
    const video = videoSource.stream;
    const packetsBetween = (from: number, to: number) =>
      this.ffmpeg.videoPackets(
        plan.request.input,
        { streamIndex: video.index, startSeconds: videoSource.sourceStartSeconds },
        from,
        to,
        signal,
      );

    const { frames, keyframes } =
      startSeconds > 0
        ? await packetsBetween(
            Math.max(0, startSeconds - KEYFRAME_SEARCH_SECONDS),
            Math.min(endSeconds, startSeconds + KEYFRAME_SEARCH_SECONDS),
          )
        : { frames: [0], keyframes: [0] };
    const before = keyframes.filter((time) => time <= startSeconds + halfFrameSeconds).at(-1);
    const startsOnKeyframe = before !== undefined && startSeconds - before < halfFrameSeconds;
    if (!frameAccurate || (startsOnKeyframe && video.reorderDelay === 0)) {
      const fromSeconds = before ?? Math.max(0, startSeconds - KEYFRAME_SEARCH_SECONDS);
      if (video.reorderDelay === 0 || toSourceEnd) return { kind: 'copy', fromSeconds, ...copyTo(endSeconds) };
      // With B-frames, pictures before the end can depend on pictures after it: end on the next keyframe, where none do.
      const after = await packetsBetween(
        Math.max(0, endSeconds - halfFrameSeconds),
        endSeconds + KEYFRAME_SEARCH_SECONDS,
      );
      const next = after.keyframes.find((time) => time >= endSeconds - halfFrameSeconds);
      if (next !== undefined)
        return { kind: 'copy', fromSeconds, ...copyTo(next, after.keyframeDecodeTimes.get(next)) };
      // No keyframe follows: the source ends soon after, or its keyframes are far apart (then a few pictures end late).
      const nearSourceEnd =
        plan.sourceSeconds !== undefined && endSeconds + KEYFRAME_SEARCH_SECONDS >= plan.sourceSeconds;
      return {
        kind: 'copy',
        fromSeconds,
        ...(nearSourceEnd ? { untilSeconds: undefined, untilDecodeSeconds: undefined } : copyTo(endSeconds)),
      };
    }
    const after = keyframes.find(
      (time) => time > startSeconds + halfFrameSeconds && time < endSeconds - halfFrameSeconds,
    );
    const firstFrame = frames.find((time) => time >= startSeconds - SEEK_EPSILON);
    // With B-frames a copied piece cannot end on an exact frame, so the whole clip is re-encoded.
    const smartCuttable =
      video.codec === 'h264' && video.frameRate !== undefined && videoCount === 1 && video.reorderDelay === 0;
    return smartCuttable && after !== undefined && firstFrame !== undefined
      ? { kind: 'smart', keyframeSeconds: after, firstFrameSeconds: firstFrame }
      : { kind: 'reencode' };
  }

  private async cut(
    plan: ClipPlan,
    workDir: string,
    options: { signal?: AbortSignal; onProgress: (seconds: number) => void },
  ) {
    const refs: StreamRef[] = plan.streams.map((stream) => ({
      index: stream.index,
      type: stream.type as 'video' | 'audio',
    }));
    const { input } = plan.request;
    const { method, startSeconds, endSeconds, halfFrameSeconds } = plan;
    const video = plan.streams.find((stream) => stream.type === 'video');
    const encoding = { pixelFormat: video?.pixelFormat };
    if (method.kind === 'copy') {
      await this.ffmpeg.run(
        copyCutArgs({
          input,
          streams: refs,
          fromSeconds: method.fromSeconds,
          untilDecodeSeconds: method.untilDecodeSeconds,
          halfFrameSeconds,
          output: plan.output,
        }),
        options,
      );
    } else if (method.kind === 'reencode') {
      await this.ffmpeg.run(
        reencodeCutArgs({ input, streams: refs, startSeconds, endSeconds, encoding, output: plan.output }),
        options,
      );
    } else {
      const base = plan.output.replace(/\.ts$/, '');
      const audios = plan.streams.filter((stream) => stream.type === 'audio');
      const [head, tail, audio] = [
        `${base}-head.ts`,
        `${base}-tail.ts`,
        audios.length > 0 ? `${base}-audio.ts` : undefined,
      ];
      await this.ffmpeg.run(
        smartCutArgs({
          input,
          videoIndex: video!.index,
          audioIndexes: audios.map((stream) => stream.index),
          startSeconds,
          keyframeSeconds: method.keyframeSeconds,
          endSeconds,
          halfFrameSeconds,
          encoding,
          headOutput: head,
          tailOutput: tail,
          audioOutput: audio,
        }),
        options,
      );
      const videoList = `${base}-pieces.txt`;
      await writeFile(
        videoList,
        concatList([
          // The head lasts from its first frame to the keyframe: the tail follows without a gap.
          { path: head, durationSeconds: method.keyframeSeconds - method.firstFrameSeconds },
          { path: tail, durationSeconds: endSeconds - method.keyframeSeconds },
        ]),
      );
      await this.ffmpeg.run(
        joinPiecesArgs({ videoList, audio, audioStreamCount: audios.length, output: plan.output }),
        {
          signal: options.signal,
        },
      );
    }
  }

  /** Guards against the concat step dropping or cutting short a track: every stream must be there and last the whole. */
  private async checkNoTrackLost(output: string, target: TargetLayout, expectedSeconds: number, signal?: AbortSignal) {
    const result = await this.ffmpeg.probe({ location: output, remote: false }, signal);
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

/** The clip's length in the output: a stream copy runs from the keyframe at or before the start, a smart cut from the first frame at or after it. */
function clipDuration(plan: ClipPlan): number {
  const { method } = plan;
  if (method.kind === 'copy')
    return (method.untilSeconds ?? plan.sourceSeconds ?? plan.endSeconds) - method.fromSeconds;
  return plan.endSeconds - (method.kind === 'smart' ? method.firstFrameSeconds : plan.startSeconds);
}

/** The layout every clip is normalised to: the most tracks any clip has, each at the largest size or rate seen. */
function targetLayout(plans: ClipPlan[]): TargetLayout {
  const videoCount = Math.max(...plans.map((plan) => plan.layout.videos.length));
  const audioCount = Math.max(...plans.map((plan) => plan.layout.audios.length));
  const even = (value: number) => Math.max(2, Math.ceil(value / 2) * 2);
  const frameRates = plans.flatMap((plan) =>
    plan.streams.filter((s) => s.type === 'video').map((s) => s.frameRate ?? 0),
  );
  return {
    videos: Array.from({ length: videoCount }, (_, v) => ({
      width: even(Math.max(...plans.map((plan) => plan.layout.videos[v]?.width ?? 0))),
      height: even(Math.max(...plans.map((plan) => plan.layout.videos[v]?.height ?? 0))),
    })),
    audios: Array.from({ length: audioCount }, (_, a) => {
      const streams = plans
        .map((plan) => plan.streams.filter((s) => s.type === 'audio')[a])
        .filter((s) => s !== undefined);
      return {
        sampleRate: Math.max(...streams.map((s) => s.sampleRate ?? 48000)),
        channels: Math.min(2, Math.max(...streams.map((s) => s.channels ?? 2))),
        language: streams.find((s) => s.language)?.language,
      };
    }),
    frameRate: Math.max(...frameRates, 0) || 25,
  };
}
