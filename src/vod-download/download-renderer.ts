import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import {
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
import { Metrics } from '../observability/metrics.js';
import type { ProbeResult } from '../media/probe-result.js';
import { ClipPlan, PacketWindow, planClip, planStitch, RequestedClip, scopeClip } from './cut-plan.js';

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

/** A reason the download cannot be made that a person can act on; no stack trace needed. */
export class RenderError extends Error {}

/** A clip's plan, with where its intermediate file goes. */
interface PlannedClip {
  request: ClipRequest;
  plan: ClipPlan;
  output: string;
}

/** How far stream durations may fall short of the whole before a track counts as truncated. */
const TRUNCATION_TOLERANCE_SECONDS = 0.5;

/**
 * Turns clip requests into one MP4: probe each source and read the video packets its cut plan
 * needs (see cut-plan.ts, which decides), cut each clip into an MPEG-TS intermediate (stream
 * copy, or frame-accurate by re-encoding only up to the first keyframe), then stitch by copy when
 * the clips share a track layout and re-encode to a common layout when they do not.
 */
@Injectable()
export class DownloadRenderer {
  constructor(
    private readonly ffmpeg: Ffmpeg,
    private readonly metrics: Metrics,
  ) {}

  async render(request: RenderRequest, options: RenderOptions = {}): Promise<void> {
    const { signal } = options;
    const clips: PlannedClip[] = [];
    // Clips often share a source; each ffprobe start costs a couple of hundred milliseconds.
    const probes = new Map<string, Promise<ProbeResult>>();
    const probe = (input: MediaInput) => {
      if (!probes.has(input.location)) probes.set(input.location, this.ffmpeg.probe(input, signal));
      return probes.get(input.location)!;
    };
    for (const [n, clip] of request.clips.entries()) {
      const plan = await this.forClip(n, clip, () => this.planClip(clip, request.frameAccurate, probe, signal));
      clips.push({ request: clip, plan, output: join(request.workDir, `clip-${n}.ts`) });
    }
    const stitch = planStitch(clips.map((clip) => clip.plan));
    const total = stitch.durationSeconds;
    // Stitching by copy is nearly free; re-encoding to a common layout costs about as much as the cuts.
    const cutShare = stitch.byCopy ? 0.95 : 0.5;
    let done = 0;
    for (const [n, clip] of clips.entries()) {
      const duration = clip.plan.durationSeconds;
      const report = (seconds: number) =>
        options.onProgress?.((cutShare * (done + Math.min(seconds, duration))) / total);
      const cut = () => this.cut(clip, { signal, onProgress: report });
      await this.forClip(n, clip.request, () => this.metrics.timeCut(clip.plan.method.kind, duration, cut));
      done += duration;
    }

    const stitchOptions = {
      signal,
      onProgress: (seconds: number) =>
        options.onProgress?.(cutShare + ((1 - cutShare) * Math.min(seconds, total)) / total),
    };
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
          stitchOptions,
        );
      } else {
        const normalised = clips.map(({ plan, output }) => ({
          path: output,
          durationSeconds: plan.durationSeconds,
          videoCount: plan.layout.videos.length,
          audioCount: plan.layout.audios.length,
        }));
        await this.ffmpeg.run(stitchNormalisedArgs(normalised, target, request.output), stitchOptions);
      }
    } catch (error) {
      throw error instanceof MediaCommandAborted
        ? error
        : new RenderError(`Joining the clips failed: ${(error as Error).message}`);
    }
    await this.checkNoTrackLost(request.output, target, total, signal);
  }

  /** Probes the clip's source, reads the video packets its plan asks for, and plans the cut. */
  private async planClip(
    clip: ClipRequest,
    frameAccurate: boolean,
    probeSource: (input: MediaInput) => Promise<ProbeResult>,
    signal?: AbortSignal,
  ): Promise<ClipPlan> {
    const probe = await probeSource(clip.input);
    const scope = scopeClip(clip, probe, frameAccurate);
    const read = (window: PacketWindow | undefined) =>
      window &&
      this.ffmpeg.videoPackets(
        clip.input,
        { streamIndex: scope.video!.index, startSeconds: probe.startSeconds },
        window.fromSeconds,
        window.toSeconds,
        signal,
      );
    const [start, end] = await Promise.all([read(scope.windows.start), read(scope.windows.end)]);
    return planClip(scope, { start, end });
  }

  private async cut(clip: PlannedClip, options: { signal?: AbortSignal; onProgress: (seconds: number) => void }) {
    const { plan, output } = clip;
    const { input } = clip.request;
    const refs: StreamRef[] = plan.streams.map((stream) => ({
      index: stream.index,
      type: stream.type as 'video' | 'audio',
    }));
    const { method, startSeconds, halfFrameSeconds, video } = plan;
    const encoding = { pixelFormat: video?.pixelFormat };
    if (method.kind === 'copy') {
      await this.ffmpeg.run(
        copyCutArgs({
          input,
          streams: refs,
          fromSeconds: method.copy.fromSeconds,
          untilDecodeSeconds: method.copy.untilDecodeSeconds,
          halfFrameSeconds,
          output,
        }),
        options,
      );
    } else if (method.kind === 'reencode') {
      await this.ffmpeg.run(
        reencodeCutArgs({
          input,
          streams: refs,
          startSeconds: method.encode.fromSeconds,
          endSeconds: method.encode.untilSeconds,
          encoding,
          output,
        }),
        options,
      );
    } else {
      const base = output.replace(/\.ts$/, '');
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
          keyframeSeconds: method.tail.fromSeconds,
          endSeconds: method.tail.untilSeconds,
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
          { path: head, durationSeconds: method.head.untilSeconds - method.head.fromSeconds },
          { path: tail, durationSeconds: method.tail.untilSeconds - method.tail.fromSeconds },
        ]),
      );
      await this.ffmpeg.run(joinPiecesArgs({ videoList, audio, audioStreamCount: audios.length, output }), {
        signal: options.signal,
      });
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
