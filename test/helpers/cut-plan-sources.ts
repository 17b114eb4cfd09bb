import type { ProbedStream, ProbeResult } from '../../src/media/probe-result.js';
import type { VideoPacket } from '../../src/media/video-packets.js';
import { ClipPlan, ClipScope, planClip, RequestedClip, scopeClip } from '../../src/vod-download/cut-plan.js';

/** Synthetic sources for the cut planner: probe results and packet lists, as ffprobe would report them. */

export const FPS = 25;

/**
 * How pictures are ordered for decoding. 'closed': each B picture is decoded after the P shown
 * right after it, within a GOP. 'open': the same across GOPs, so a keyframe is decoded before the
 * B picture shown just before it (an open GOP).
 */
export type Reordering = 'none' | 'closed' | 'open';

/** Every packet of a `FPS` video of `seconds`, with a keyframe every `gopSeconds`, in decode order. */
export function videoPackets(seconds: number, gopSeconds: number, reordering: Reordering = 'none'): VideoPacket[] {
  const count = Math.round(seconds * FPS);
  const gop = Math.round(gopSeconds * FPS);
  const pairs = (from: number, to: number) => {
    const order: number[] = [];
    for (let i = from; i < to; i += 2) order.push(...(i + 1 < to ? [i + 1, i] : [i]));
    return order;
  };
  const gopStarts = Array.from({ length: Math.ceil(count / gop) }, (_, g) => g * gop);
  const decodeOrder =
    reordering === 'none'
      ? Array.from({ length: count }, (_, i) => i)
      : reordering === 'open'
        ? [0, ...pairs(1, count)]
        : gopStarts.flatMap((start) => [start, ...pairs(start + 1, Math.min(start + gop, count))]);
  // With reordering, decode times start a frame early so that none is later than its picture's.
  const delay = reordering === 'none' ? 0 : 1;
  return decodeOrder.map((picture, k) => ({
    pts: picture / FPS,
    dts: (k - delay) / FPS,
    keyframe: picture % gop === 0,
  }));
}

export function video(overrides: Partial<ProbedStream> = {}): ProbedStream {
  return {
    index: 0,
    type: 'video',
    codec: 'h264',
    width: 1280,
    height: 720,
    frameRate: FPS,
    reorderDelay: 0,
    ...overrides,
  };
}

export function audio(overrides: Partial<ProbedStream> = {}): ProbedStream {
  return {
    index: 1,
    type: 'audio',
    codec: 'aac',
    sampleRate: 48000,
    channels: 2,
    reorderDelay: 0,
    ...overrides,
  };
}

export interface SyntheticSource {
  probe: ProbeResult;
  /** Every packet of its first video stream. */
  packets: VideoPacket[];
}

/** A source of `seconds` with these streams; its video has a keyframe every `gopSeconds`. */
export function source(
  seconds: number,
  streams: ProbedStream[],
  gop: { seconds: number; reordering?: Reordering } = { seconds: 2 },
): SyntheticSource {
  return {
    probe: { durationSeconds: seconds, startSeconds: 0, streams },
    packets: videoPackets(seconds, gop.seconds, gop.reordering),
  };
}

/** What the renderer does, on a synthetic source: scope the clip, read the packets of its windows, plan. */
export function plan(from: SyntheticSource, clip: Partial<RequestedClip>, frameAccurate = false): ClipPlan {
  const scope = scopeOf(from, clip, frameAccurate);
  const read = (window: ClipScope['windows']['start']) =>
    window && from.packets.filter((packet) => packet.pts >= window.fromSeconds && packet.pts <= window.toSeconds);
  const windows = { start: read(scope.windows.start), end: read(scope.windows.end) };
  // Every further video has the same pictures and keyframes as the first.
  const others = scope.streams.filter((stream) => stream.type === 'video' && stream !== scope.video);
  return planClip(scope, { ...windows, otherVideos: new Map(others.map((stream) => [stream.index, windows])) });
}

export function scopeOf(from: SyntheticSource, clip: Partial<RequestedClip>, frameAccurate = false): ClipScope {
  return scopeClip({ startSeconds: 0, endSeconds: undefined, filter: undefined, ...clip }, from.probe, frameAccurate);
}
