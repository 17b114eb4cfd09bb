import { describe, expect, it } from 'vitest';
import { ClipPlanError, picturesSeconds, planClip, planStitch, scopeClip } from './cut-plan.js';
import { audio, FPS, plan, scopeOf, source, video, videoPackets } from '../../test/helpers/cut-plan-sources.js';

const frame = 1 / FPS;
// 10 s of H.264 without B-frames and an audio track, a keyframe every 2 s.
const plain = source(10, [video(), audio()]);
const bFrames = source(10, [video({ codec: 'hevc', reorderDelay: 1 }), audio()], { seconds: 2, reordering: 'closed' });
const openGop = source(10, [video({ codec: 'hevc', reorderDelay: 1 }), audio()], { seconds: 2, reordering: 'open' });

describe(scopeClip.name, () => {
  it('reads packets around the start, and none for a clip from 0 or without video', () => {
    expect(scopeOf(plain, { startSeconds: 3.3, endSeconds: 6 }).windows).toEqual({
      start: { fromSeconds: 0, toSeconds: 6 },
      end: undefined,
    });
    const long = source(100, [video(), audio()]);
    expect(scopeOf(long, { startSeconds: 50, endSeconds: 90 }).windows.start).toEqual({
      fromSeconds: 30,
      toSeconds: 70,
    });
    expect(scopeOf(plain, { endSeconds: 6 }).windows).toEqual({ start: undefined, end: undefined });
    expect(scopeOf(source(10, [audio()]), { startSeconds: 3, endSeconds: 6 }).windows.start).toBeUndefined();
  });

  it('reads packets around the end for a B-frame copy or a frame-accurate cut that stops before the source ends', () => {
    const aroundEnd = { fromSeconds: 3, toSeconds: 7 };
    expect(scopeOf(bFrames, { startSeconds: 3, endSeconds: 5 }).windows.end).toEqual(aroundEnd);
    expect(scopeOf(bFrames, { startSeconds: 3, endSeconds: 5 }, true).windows.end).toEqual(aroundEnd);
    expect(scopeOf(plain, { startSeconds: 3, endSeconds: 5 }, true).windows.end).toEqual(aroundEnd);
    expect(scopeOf(bFrames, { startSeconds: 3 }).windows.end).toBeUndefined();
    expect(scopeOf(plain, { startSeconds: 3, endSeconds: 5 }).windows.end).toBeUndefined();
  });

  it('refuses a clip outside its source, or without an end on a source of unknown length', () => {
    const message = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        expect(error).toBeInstanceOf(ClipPlanError);
        return (error as Error).message;
      }
    };
    expect(message(() => scopeOf(plain, { startSeconds: 10 }))).toBe(
      'the clip starts at 10.000 s but the source is only 10.000 s long',
    );
    expect(message(() => scopeOf(plain, { endSeconds: 10.1 }))).toBe(
      'the clip ends at 10.100 s but the source is only 10.000 s long',
    );
    expect(scopeOf(plain, { endSeconds: 10.04 }).endSeconds).toBe(10.04);
    const live = { ...plain, probe: { ...plain.probe, durationSeconds: undefined } };
    expect(message(() => scopeOf(live, { startSeconds: 3 }))).toMatch(/cannot be told/);
    expect(scopeOf(live, { startSeconds: 3, endSeconds: 60 }).toSourceEnd).toBe(false);
    expect(message(() => scopeOf(plain, { filter: 'type=="textstream"' }))).toBe(
      'the filter type=="textstream" selects no audio or video track of the source',
    );
    expect(message(() => scopeOf(source(10, []), {}))).toBe('the source has no audio or video track');
  });
});

describe(planClip.name, () => {
  it('copies from the keyframe at or before the start, to the end', () => {
    const cut = plan(plain, { startSeconds: 3.3, endSeconds: 6 });
    expect(cut.method).toEqual({ kind: 'copy', copy: { fromSeconds: 2, untilSeconds: 6, untilDecodeSeconds: 6 } });
    expect(cut.durationSeconds).toBe(4);
    expect(cut.expectedFrames).toBe(100);
    // Within half a frame of a keyframe counts as on it.
    expect(plan(plain, { startSeconds: 4.01, endSeconds: 6 }).method).toMatchObject({ copy: { fromSeconds: 4 } });
  });

  it('copies a frame-accurate clip that starts on a keyframe', () => {
    const cut = plan(plain, { startSeconds: 4, endSeconds: 7.61 }, true);
    expect(cut.method).toEqual({
      kind: 'copy',
      copy: { fromSeconds: 4, untilSeconds: 7.61, untilDecodeSeconds: 7.61 },
    });
    // 4 s to 7.56 s: the frame at 7.6 s is shown less than half a frame before the end.
    expect(cut.expectedFrames).toBe(90);
  });

  it('re-encodes a frame-accurate start off a keyframe up to the next keyframe, and copies the rest', () => {
    const cut = plan(plain, { startSeconds: 3.3, endSeconds: 6 }, true);
    // 3.3 s falls between the frames at 3.28 s and 3.32 s: the clip opens on the later.
    expect(cut.method).toEqual({
      kind: 'smart',
      head: { fromSeconds: 83 / FPS, untilSeconds: 4, frames: 17 },
      // Without B-frames every packet ends a clean prefix: the copy runs to the end exactly.
      body: { fromSeconds: 4, untilSeconds: 6, frames: 50 },
      tail: undefined,
    });
    expect(cut.durationSeconds).toBeCloseTo(6 - 3.32, 9);
    expect(cut.expectedFrames).toBe(67);
    expect(cut.layout.videos).toEqual([{ codec: 'h264', width: 1280, height: 720 }]);
  });

  it('re-encodes a frame-accurate clip shorter than a GOP whole', () => {
    const cut = plan(plain, { startSeconds: 2.3, endSeconds: 3.55 }, true);
    expect(cut.method).toEqual({ kind: 'reencode', encode: { fromSeconds: 2.3, untilSeconds: 3.55 } });
    expect(cut.durationSeconds).toBeCloseTo(1.25, 9);
    // The first frame at or after 2.3 s is at 2.32 s; the last shown before 3.55 s at 3.52 s.
    expect(cut.expectedFrames).toBe(31);
    // Its pictures last 31 frames, less than the 1.25 s from its start to its end.
    expect(picturesSeconds(cut)).toBeCloseTo(31 * frame, 9);
    expect(picturesSeconds(plan(source(10, [audio()]), { startSeconds: 2.3, endSeconds: 3.55 }, true))).toBeUndefined();
    expect(plan(plain, { startSeconds: 2.3, endSeconds: 3.55 }).method).toMatchObject({
      copy: { fromSeconds: 2, untilSeconds: 3.55 },
    });
  });

  it('ends a B-frame stream copy on the first clean point at or after the end, stopping at its decode time', () => {
    const cut = plan(bFrames, { startSeconds: 3.3, endSeconds: 5 });
    // Decode order here is ... P 5.04, B 5.00, P 5.12 ...: all pictures before 5 s are in before the P at 5.04.
    const firstLeftOut = bFrames.packets.find((packet) => packet.pts === 126 / FPS)!;
    expect(firstLeftOut.dts).toBeLessThan(126 / FPS);
    expect(cut.method).toEqual({
      kind: 'copy',
      copy: { fromSeconds: 2, untilSeconds: 5, untilDecodeSeconds: firstLeftOut.dts },
    });
    expect(cut.expectedFrames).toBe(75);
    // An end where a P is decoded before the B shown just before it: the copy keeps that P, one picture late.
    expect(plan(bFrames, { startSeconds: 3.3, endSeconds: 5.04 }).method).toMatchObject({
      copy: { untilSeconds: 127 / FPS },
    });
    // A copy to the source's end needs no clean point.
    expect(plan(bFrames, { startSeconds: 3.3 }).method).toEqual({
      kind: 'copy',
      copy: { fromSeconds: 2, untilSeconds: undefined, untilDecodeSeconds: undefined },
    });
  });

  it('smart-cuts frame-accurate B-frame video: head to the keyframe, body to the last clean point, tail to the end', () => {
    const cut = plan(bFrames, { startSeconds: 3.3, endSeconds: 5.04 }, true);
    expect(cut.method).toEqual({
      kind: 'smart',
      head: { fromSeconds: 83 / FPS, untilSeconds: 4, frames: 17 },
      body: { fromSeconds: 4, untilSeconds: 5, frames: 25 },
      tail: { fromSeconds: 5, untilSeconds: 5.04, frames: 1 },
    });
    expect(cut.expectedFrames).toBe(43);
    expect(cut.durationSeconds).toBeCloseTo(5.04 - 3.32, 9);
    // The copied HEVC stays HEVC.
    expect(cut.layout.videos[0].codec).toBe('hevc');
    // On a keyframe, and on a clean point: nothing to re-encode.
    expect(plan(bFrames, { startSeconds: 4, endSeconds: 5 }, true).method).toEqual({
      kind: 'smart',
      head: undefined,
      body: { fromSeconds: 4, untilSeconds: 5, frames: 25 },
      tail: undefined,
    });
  });

  it("with an open GOP, leaves the keyframe's leading pictures to the head in HEVC, and re-encodes H.264 whole", () => {
    const copied = plan(openGop, { startSeconds: 0.5, endSeconds: 3.9 });
    // Pictures up to 3.84 s are decoded before the P at 3.92 s; the keyframe at 4 s and its leading picture come after.
    expect(copied.method).toMatchObject({ copy: { fromSeconds: 0, untilSeconds: 97 / FPS } });
    const leading = openGop.packets.find((packet) => packet.pts === 99 / FPS)!;
    expect(leading.dts).toBeGreaterThan(openGop.packets.find((packet) => packet.pts === 4)!.dts);
    expect(plan(openGop, { startSeconds: 3.3, endSeconds: 5.5 }, true).method).toEqual({
      kind: 'smart',
      head: { fromSeconds: 83 / FPS, untilSeconds: 4, frames: 17 },
      body: { fromSeconds: 4, untilSeconds: 137 / FPS, frames: 37 },
      tail: undefined,
    });
    const h264OpenGop = source(10, [video({ reorderDelay: 1 }), audio()], { seconds: 2, reordering: 'open' });
    for (const startSeconds of [3.3, 4]) {
      expect(plan(h264OpenGop, { startSeconds, endSeconds: 5.5 }, true).method.kind).toBe('reencode');
    }
    // A start just after an open-GOP keyframe copies from it; frame-accurate, no keyframe follows before the end.
    expect(plan(openGop, { startSeconds: 4.1, endSeconds: 5 }).method).toMatchObject({ copy: { fromSeconds: 4 } });
    expect(plan(openGop, { startSeconds: 4.1, endSeconds: 5 }, true).method.kind).toBe('reencode');
  });

  it('copies from 20 s before the start when no keyframe is that close, and re-encodes a frame-accurate cut', () => {
    const sparse = source(120, [video(), audio()], { seconds: 60 });
    expect(plan(sparse, { startSeconds: 30, endSeconds: 40 }).method).toEqual({
      kind: 'copy',
      copy: { fromSeconds: 10, untilSeconds: 40, untilDecodeSeconds: 40 },
    });
    expect(plan(sparse, { startSeconds: 30, endSeconds: 40 }, true).method.kind).toBe('reencode');
  });

  it('ends a B-frame copy on a clean point even far from keyframes; without one read, at the end or the source end', () => {
    const sparse = source(120, [video({ reorderDelay: 2 })], { seconds: 60, reordering: 'closed' });
    expect(plan(sparse, { startSeconds: 61, endSeconds: 70 }).method).toMatchObject({
      kind: 'copy',
      copy: { fromSeconds: 60, untilSeconds: 1751 / FPS },
    });
    const scope = scopeOf(sparse, { startSeconds: 61, endSeconds: 70 });
    const start = sparse.packets.filter((packet) => packet.pts <= 81);
    expect(planClip(scope, { start, end: [] }).method).toEqual({
      kind: 'copy',
      copy: { fromSeconds: 60, untilSeconds: 70, untilDecodeSeconds: 70 },
    });
    const nearEnd = scopeOf(sparse, { startSeconds: 61, endSeconds: 119 });
    expect(planClip(nearEnd, { start, end: [] }).method).toEqual({
      kind: 'copy',
      copy: { fromSeconds: 60, untilSeconds: undefined, untilDecodeSeconds: undefined },
    });
  });

  it("copies to the source's end when the clip ends there, lasting as long as the source", () => {
    for (const endSeconds of [undefined, 10 - frame / 4]) {
      const cut = plan(plain, { startSeconds: 7, endSeconds }, true);
      expect(cut.method).toEqual({
        kind: 'smart',
        head: { fromSeconds: 7, untilSeconds: 8, frames: 25 },
        body: { fromSeconds: 8, untilSeconds: endSeconds ?? 10, frames: undefined },
        tail: undefined,
      });
      expect(cut.expectedFrames).toBe(75);
      const copied = plan(plain, { startSeconds: 7, endSeconds });
      expect(copied.method).toEqual({
        kind: 'copy',
        copy: { fromSeconds: 6, untilSeconds: undefined, untilDecodeSeconds: undefined },
      });
      expect(copied.durationSeconds).toBe(4);
      expect(copied.expectedFrames).toBe(100);
    }
  });

  it('smart-cuts every selected video on its own keyframes, or re-encodes all; without a filter only the largest is taken', () => {
    const twoVideos = source(10, [video(), video({ index: 1, width: 640, height: 360 }), audio({ index: 2 })]);
    const both = plan(twoVideos, { startSeconds: 3.3, endSeconds: 6, filter: 'type=="video"' }, true);
    const cut = {
      head: { fromSeconds: 83 / FPS, untilSeconds: 4, frames: 17 },
      body: { fromSeconds: 4, untilSeconds: 6, frames: 50 },
    };
    expect(both.method).toEqual({
      kind: 'smart',
      ...cut,
      tail: undefined,
      others: [{ videoIndex: 1, ...cut, tail: undefined }],
    });
    expect(both.expectedFrames).toBe(67);
    // Without the packets of the second video, or when its cut would cover other pictures, all is re-encoded.
    const scope = scopeOf(twoVideos, { startSeconds: 3.3, endSeconds: 6, filter: 'type=="video"' }, true);
    const windows = {
      start: twoVideos.packets.filter((packet) => packet.pts <= 23.3),
      end: twoVideos.packets.filter((packet) => packet.pts >= 4),
    };
    expect(planClip(scope, windows).method.kind).toBe('reencode');
    const withOther = (packets: ReturnType<typeof videoPackets>) =>
      planClip(scope, { ...windows, otherVideos: new Map([[1, { start: packets, end: packets }]]) }).method;
    // Its own keyframes (every 5 s here): a longer head, the same pictures.
    expect(withOther(videoPackets(10, 5))).toMatchObject({
      kind: 'smart',
      others: [{ videoIndex: 1, head: { untilSeconds: 5, frames: 42 }, body: { fromSeconds: 5, frames: 25 } }],
    });
    // No keyframe of its own before the end: all is re-encoded.
    expect(withOther(videoPackets(10, 20)).kind).toBe('reencode');
    expect(both.layout.videos).toEqual([
      { codec: 'h264', width: 1280, height: 720 },
      { codec: 'h264', width: 640, height: 360 },
    ]);
    expect(both.layout.audios).toEqual([]);
    const largest = plan(twoVideos, { startSeconds: 3.3, endSeconds: 6 }, true);
    expect(largest.method.kind).toBe('smart');
    expect(largest.streams.map((stream) => stream.index)).toEqual([0, 2]);
  });

  it('copies a clip without video from its start, with no frames to count', () => {
    const cut = plan(source(10, [audio({ index: 0 })]), { startSeconds: 3.3, endSeconds: 6 }, true);
    expect(cut.method).toEqual({ kind: 'copy', copy: { fromSeconds: 3.3, untilSeconds: 6, untilDecodeSeconds: 6 } });
    expect(cut.halfFrameSeconds).toBe(0);
    expect(cut.expectedFrames).toBeUndefined();
  });

  it('refuses to plan without the packets its scope asks for', () => {
    const scope = scopeOf(plain, { startSeconds: 3.3, endSeconds: 6 });
    expect(() => planClip(scope, {})).toThrow(/packets of every window/);
  });
});

describe(planStitch.name, () => {
  it('stitches clips of one layout by copy, over their summed duration', () => {
    const stitch = planStitch([plan(plain, { startSeconds: 3.3, endSeconds: 6 }), plan(plain, { startSeconds: 8 })]);
    expect(stitch.byCopy).toBe(true);
    expect(stitch.durationSeconds).toBe(6);
  });

  it('normalises clips when one lacks the audio track, to the most tracks at the largest size and rate', () => {
    const withAudio = source(10, [
      video({ width: 641, height: 359, frameRate: 30 }),
      audio({ sampleRate: 44100, channels: 6, language: 'eng' }),
    ]);
    const silent = source(10, [video()]);
    const clips = [
      plan(withAudio, { startSeconds: 2, endSeconds: 4 }),
      plan(silent, { startSeconds: 4, endSeconds: 6 }),
    ];
    expect(clips[1].layout.audios).toEqual([]);
    expect(planStitch(clips)).toEqual({
      byCopy: false,
      target: {
        videos: [{ width: 1280, height: 720 }],
        audios: [{ sampleRate: 44100, channels: 2, language: 'eng' }],
        frameRate: 30,
      },
      durationSeconds: 4,
    });
    const odd = planStitch([plan(withAudio, { endSeconds: 2 })]).target;
    expect(odd.videos).toEqual([{ width: 642, height: 360 }]);
  });

  it('normalises a clip re-encoded to H.264 with a copied HEVC clip, and takes 25 fps without any video', () => {
    const shorterThanAGop = plan(bFrames, { startSeconds: 2.3, endSeconds: 3.55 }, true);
    expect(shorterThanAGop.method.kind).toBe('reencode');
    expect(planStitch([shorterThanAGop, plan(bFrames, {})]).byCopy).toBe(false);
    expect(planStitch([plan(source(10, [audio({ index: 0 })]), {})]).target.frameRate).toBe(25);
  });
});

describe(videoPackets.name, () => {
  it('decodes every picture no later than it is shown, and each B picture after the picture it precedes', () => {
    for (const packets of [bFrames.packets, openGop.packets]) {
      expect(packets.every((packet) => packet.dts <= packet.pts)).toBe(true);
      expect(new Set(packets.map((packet) => packet.pts)).size).toBe(10 * FPS);
    }
    expect(plain.packets.every((packet) => packet.dts === packet.pts)).toBe(true);
  });
});
