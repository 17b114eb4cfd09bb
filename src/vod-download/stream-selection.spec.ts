import { describe, expect, it } from 'vitest';
import { audio as baseAudio, video as baseVideo } from '../../test/helpers/cut-plan-sources.js';
import type { ProbedStream } from '../media/probe-result.js';
import { clipLayout, sameLayout, setupsKnownBySource } from './stream-selection.js';

// The helpers' streams, with what tells setups apart.
const video = (extra: Partial<ProbedStream> = {}) =>
  baseVideo({
    displayWidth: 1280,
    pixelFormat: 'yuv420p',
    extradataHash: 'MD5:aa',
    colour: 'tv bt709 bt709 bt709',
    ...extra,
  });
const audio = (extra: Partial<ProbedStream> = {}) => baseAudio({ extradataHash: 'MD5:lc', ...extra });

describe(clipLayout.name, () => {
  it("tells copied video apart by its source's parameter sets, audio by its codec setup", () => {
    const copied = (streams: ProbedStream[]) => clipLayout(streams, false);
    expect(sameLayout(copied([video(), audio()]), copied([video(), audio()]))).toBe(true);
    // Another encoder's settings: one avcC cannot serve both.
    expect(sameLayout(copied([video(), audio()]), copied([video({ extradataHash: 'MD5:bb' }), audio()]))).toBe(false);
    // AAC-LC and HE-AAC at one rate and channel count.
    expect(sameLayout(copied([video(), audio()]), copied([video(), audio({ extradataHash: 'MD5:he' })]))).toBe(false);
  });

  it("gives re-encoded video our encoder's setup, made from what reaches its SPS, whatever the source's was", () => {
    const reencoded = (stream: ProbedStream) => clipLayout([stream], true);
    expect(sameLayout(reencoded(video()), reencoded(video({ extradataHash: 'MD5:bb' })))).toBe(true);
    expect(sameLayout(reencoded(video()), clipLayout([video()], false))).toBe(false);
    for (const other of [
      { frameRate: 30 },
      { displayWidth: 1707 },
      { colour: 'pc bt709 bt709 bt709' },
      { pixelFormat: 'yuv420p10le' },
    ]) {
      expect(sameLayout(reencoded(video()), reencoded(video(other)))).toBe(false);
    }
  });
});

describe(setupsKnownBySource.name, () => {
  it('knows a video without extradata by its source alone, so two such sources never stitch by copy', () => {
    const probe = {
      startSeconds: 0,
      streams: [video({ extradataHash: undefined }), audio({ extradataHash: undefined })],
    };
    const a = setupsKnownBySource(probe, 'https://origin/a.m3u8');
    const b = setupsKnownBySource(probe, 'https://origin/b.m3u8');
    expect(
      sameLayout(
        clipLayout(a.streams, false),
        clipLayout(setupsKnownBySource(probe, 'https://origin/a.m3u8').streams, false),
      ),
    ).toBe(true);
    expect(sameLayout(clipLayout(a.streams, false), clipLayout(b.streams, false))).toBe(false);
    // Audio without extradata (MP3, AC-3) says in every frame what it is.
    expect(a.streams[1].extradataHash).toBeUndefined();
    // Extradata the container has is kept.
    expect(setupsKnownBySource({ startSeconds: 0, streams: [video()] }, 'x').streams[0].extradataHash).toBe('MD5:aa');
  });
});
