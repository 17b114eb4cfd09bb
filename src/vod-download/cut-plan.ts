import type { TargetLayout } from '../media/ffmpeg-args.js';
import type { ProbedStream, ProbeResult } from '../media/probe-result.js';
import type { VideoPacket } from '../media/video-packets.js';
import { END_SEARCH_SECONDS, firstFrameFrom, KEYFRAME_SEARCH_SECONDS } from './clean-points.js';
import { copySpan } from './copy-cut.js';
import { chooseFrameAccurateCut, smartCutOfEveryVideo } from './frame-accurate-cut.js';
import { ClipLayout, clipLayout, sameLayout, selectStreams } from './stream-selection.js';
import { parseFilter } from './usp-filter.js';

/**
 * Cut planning, without I/O: a probed source and its video packets in, a plan out. Planning takes
 * two steps because the packets to read depend on the clip: `scopeClip` checks the clip against
 * its source and names the packet windows the decision needs, `planClip` decides on the packets
 * read there. All times are seconds of media time (from the source's start).
 */

/** A clip that cannot be cut as asked; the message tells the requester why. */
export class ClipPlanError extends Error {}

export interface RequestedClip {
  startSeconds: number;
  /** Undefined: to the end of the source. */
  endSeconds: number | undefined;
  filter: string | undefined;
}

/** A stretch of media time whose video packets are to be read. */
export interface PacketWindow {
  fromSeconds: number;
  toSeconds: number;
}

/** A clip checked against its source: its tracks, its range, and what must be read to plan its cut. */
export interface ClipScope {
  /** The tracks that go into the MP4: videos first, then audios. */
  streams: ProbedStream[];
  /** The video the cut is planned on (the first selected); undefined for a clip without video. */
  video: ProbedStream | undefined;
  startSeconds: number;
  endSeconds: number;
  /** The source's length, when ffprobe tells it. */
  sourceSeconds: number | undefined;
  /** Half a frame of the video (0 without video): the margin when comparing times with frame times. */
  halfFrameSeconds: number;
  frameAccurate: boolean;
  /** The clip ends at the source's end: a stream copy then runs to the end of the source. */
  toSourceEnd: boolean;
  /** The windows of `video` whose packets `planClip` needs: around the start, and after the end. */
  windows: { start?: PacketWindow; end?: PacketWindow };
}

/** The video packets read in a scope's windows. */
export interface ClipPackets {
  start?: VideoPacket[];
  end?: VideoPacket[];
  /** The packets of every further selected video, by stream index, read in the same windows (for a smart cut of each). */
  otherVideos?: Map<number, { start?: VideoPacket[]; end?: VideoPacket[] }>;
}

/** A piece of the clip: the media time it covers in the output. */
export interface Span {
  fromSeconds: number;
  untilSeconds: number;
}

/** A stream copy's span: it starts on a keyframe and stops by decode time. */
export interface CopySpan {
  fromSeconds: number;
  /** Where the copied pictures end (the end, or with B-frames the clean point after it); undefined: the source's end. */
  untilSeconds: number | undefined;
  /** The first decode time left out; undefined: copy to the source's end. */
  untilDecodeSeconds: number | undefined;
}

/** Pictures re-encoded: `frames` of them, shown from `fromSeconds` (a picture's time) until `untilSeconds`. */
export interface EncodedSpan extends Span {
  frames: number;
}

/**
 * Pictures copied from the keyframe at `fromSeconds` (its leading pictures, shown before it, left
 * out): `frames` packets in decode order, ending on a clean point; undefined: to the source's end.
 */
export interface CopiedSpan extends Span {
  frames: number | undefined;
}

/** One video's smart cut: the pictures before the first keyframe (`head`) and after the body's last clean point (`tail`) are re-encoded, `body` copied. */
export interface SmartTrack {
  head: EncodedSpan | undefined;
  body: CopiedSpan;
  tail: EncodedSpan | undefined;
}

export type CutMethod =
  | { kind: 'copy'; copy: CopySpan }
  /** The first video's cut; `others`, the further videos', by stream index (each on its own keyframes, over the same pictures). */
  | ({ kind: 'smart'; others?: (SmartTrack & { videoIndex: number })[] } & SmartTrack)
  | { kind: 'reencode'; encode: Span };

export interface ClipPlan extends ClipScope {
  method: CutMethod;
  /** The clip's length in the output. */
  durationSeconds: number;
  /** The frames the clip holds at the video's frame rate; undefined without video or a known frame rate. */
  expectedFrames: number | undefined;
  layout: ClipLayout;
}

export interface StitchPlan {
  /** The clips share one track layout and are joined by stream copy; otherwise re-encoded to `target`. */
  byCopy: boolean;
  target: TargetLayout;
  durationSeconds: number;
}

/** Picks the clip's tracks, checks its range against the source, and says which packets the cut decision needs. */
export function scopeClip(clip: RequestedClip, probe: ProbeResult, frameAccurate: boolean): ClipScope {
  const streams = selectStreams(probe.streams, clip.filter ? parseFilter(clip.filter) : undefined);
  if (streams.length === 0) {
    throw new ClipPlanError(
      clip.filter
        ? `the filter ${clip.filter} selects no audio or video track of the source`
        : 'the source has no audio or video track',
    );
  }
  const { startSeconds } = clip;
  const sourceSeconds = probe.durationSeconds;
  const endSeconds = checkRange(startSeconds, clip.endSeconds, sourceSeconds);
  const video = streams.find((stream) => stream.type === 'video');
  const halfFrameSeconds = video ? 0.5 / (video.frameRate ?? 25) : 0;
  const toSourceEnd = sourceSeconds !== undefined && endSeconds >= sourceSeconds - halfFrameSeconds;
  // Where the copy can stop: with B-frames at a clean point (copyEnd); frame-accurate cuts re-encode after the last one.
  const readsEnd = video !== undefined && !toSourceEnd && (frameAccurate || video.reorderDelay > 0);
  const windows = {
    start:
      video && startSeconds > 0
        ? {
            fromSeconds: Math.max(0, startSeconds - KEYFRAME_SEARCH_SECONDS),
            toSeconds: Math.min(endSeconds, startSeconds + KEYFRAME_SEARCH_SECONDS),
          }
        : undefined,
    end: readsEnd
      ? {
          fromSeconds: Math.max(0, endSeconds - END_SEARCH_SECONDS),
          toSeconds: endSeconds + END_SEARCH_SECONDS,
        }
      : undefined,
  };
  return {
    streams,
    video,
    startSeconds,
    endSeconds,
    sourceSeconds,
    halfFrameSeconds,
    frameAccurate,
    toSourceEnd,
    windows,
  };
}

/** The clip's end, once the range is known to lie in the source. */
function checkRange(startSeconds: number, askedEnd: number | undefined, length: number | undefined): number {
  const endSeconds = askedEnd ?? length;
  if (endSeconds === undefined) {
    throw new ClipPlanError(
      'the length of the source cannot be told (a live stream?): give the clip a start and an end',
    );
  }
  if (length !== undefined && startSeconds >= length) {
    throw new ClipPlanError(
      `the clip starts at ${startSeconds.toFixed(3)} s but the source is only ${length.toFixed(3)} s long`,
    );
  }
  if (length !== undefined && endSeconds > length + 0.05) {
    throw new ClipPlanError(
      `the clip ends at ${endSeconds.toFixed(3)} s but the source is only ${length.toFixed(3)} s long`,
    );
  }
  return endSeconds;
}

/** Decides how the clip is cut, from the packets read in its scope's windows. */
export function planClip(scope: ClipScope, packets: ClipPackets): ClipPlan {
  if ((scope.windows.start && !packets.start) || (scope.windows.end && !packets.end)) {
    throw new Error('planClip needs the packets of every window its scope names');
  }
  // A clip from 0 starts on the source's first picture, a keyframe.
  const startPackets = packets.start ?? [{ pts: 0, dts: 0, keyframe: true }];
  const method =
    scope.video && scope.frameAccurate
      ? smartCutOfEveryVideo(scope, chooseFrameAccurateCut(scope, startPackets, packets.end ?? []), packets.otherVideos)
      : { kind: 'copy' as const, copy: copySpan(scope, startPackets, packets.end) };
  const covered = coveredSpan(scope, method);
  const firstFrame =
    method.kind === 'reencode'
      ? (firstFrameFrom(scope.startSeconds, startPackets) ?? covered.fromSeconds)
      : covered.fromSeconds;
  const frameRate = scope.video?.frameRate;
  const counted = method.kind === 'smart' ? smartFrames(method) : undefined;
  return {
    ...scope,
    method,
    durationSeconds: covered.untilSeconds - covered.fromSeconds,
    // A cut keeps the frames shown more than half a frame before its end (its margin for rounding).
    expectedFrames:
      counted ??
      (frameRate === undefined ? undefined : Math.ceil((covered.untilSeconds - firstFrame) * frameRate - 0.5)),
    layout: clipLayout(scope.streams, method.kind === 'reencode'),
  };
}

/** The same clip re-encoded whole: what a smart cut that fails its checks becomes. */
export function reencodeInstead(plan: ClipPlan): ClipPlan {
  const encode = { fromSeconds: plan.startSeconds, untilSeconds: plan.endSeconds };
  return {
    ...plan,
    method: { kind: 'reencode', encode },
    durationSeconds: encode.untilSeconds - encode.fromSeconds,
    layout: clipLayout(plan.streams, true),
  };
}

/** A smart cut's pictures, when every piece has a known count. */
function smartFrames(method: Extract<CutMethod, { kind: 'smart' }>): number | undefined {
  const { head, body, tail } = method;
  return body.frames === undefined ? undefined : (head?.frames ?? 0) + body.frames + (tail?.frames ?? 0);
}

/** The media time the clip covers in the output: a copy to the source's end lasts as long as the source. */
function coveredSpan(scope: ClipScope, method: CutMethod): Span {
  if (method.kind === 'smart') {
    const { head, body, tail } = method;
    return { fromSeconds: (head ?? body).fromSeconds, untilSeconds: (tail ?? body).untilSeconds };
  }
  if (method.kind === 'reencode') return method.encode;
  const { fromSeconds, untilSeconds } = method.copy;
  return { fromSeconds, untilSeconds: untilSeconds ?? scope.sourceSeconds ?? scope.endSeconds };
}

/** How long the clip's pictures last: its expected frames at its video's frame rate, when both are known. */
export function picturesSeconds(plan: ClipPlan): number | undefined {
  const frameRate = plan.video?.frameRate;
  return plan.expectedFrames === undefined || !frameRate ? undefined : plan.expectedFrames / frameRate;
}

/** Stitching by copy needs one layout for all clips; otherwise every clip is normalised to a common one. */
export function planStitch(clips: ClipPlan[]): StitchPlan {
  return {
    byCopy: clips.every((clip) => sameLayout(clip.layout, clips[0].layout)),
    target: targetLayout(clips),
    durationSeconds: clips.reduce((sum, clip) => sum + clip.durationSeconds, 0),
  };
}

/** The layout every clip is normalised to: the most tracks any clip has, each at the largest size or rate seen. */
function targetLayout(clips: ClipPlan[]): TargetLayout {
  const videoCount = Math.max(...clips.map((clip) => clip.layout.videos.length));
  const audioCount = Math.max(...clips.map((clip) => clip.layout.audios.length));
  const even = (value: number) => Math.max(2, Math.ceil(value / 2) * 2);
  const frameRates = clips.flatMap((clip) =>
    clip.streams.filter((s) => s.type === 'video').map((s) => s.frameRate ?? 0),
  );
  return {
    videos: Array.from({ length: videoCount }, (_, v) => ({
      width: even(Math.max(...clips.map((clip) => clip.layout.videos[v]?.width ?? 0))),
      height: even(Math.max(...clips.map((clip) => clip.layout.videos[v]?.height ?? 0))),
    })),
    audios: Array.from({ length: audioCount }, (_, a) => {
      const streams = clips
        .map((clip) => clip.streams.filter((s) => s.type === 'audio')[a])
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
