import { describe, expect, it } from 'vitest';
import { joinPiecesArgs, smartCutArgs, stitchPiecesArgs } from './smart-cut-args.js';

const local = { location: '/media/a.mp4', remote: false };
const valueAfter = (args: string[], flag: string, nth = 0) => args.filter((_, i) => args[i - 1] === flag)[nth];
const ENCODER = ['-c:v', 'libx264', '-x264-params', 'bframes=3:crf=23.0'];

describe(smartCutArgs.name, () => {
  const cut = {
    input: local,
    videoIndex: 0,
    codec: 'h264' as const,
    audioIndexes: [2, 3],
    halfFrameSeconds: 0.02,
    encoder: ENCODER,
    decoderThreads: undefined,
    head: { fromSeconds: 3.32, untilSeconds: 4, frames: 17, output: 'head.ts' },
    body: { fromSeconds: 4, frames: 46, output: 'body.ts' },
    tail: { fromSeconds: 5.84, untilSeconds: 6, frames: 4, output: 'tail.ts' },
    audio: { fromSeconds: 3.32, untilSeconds: 6, output: 'audio.ts' },
  };

  it('re-encodes head and tail by exact picture counts, copies the body by packet count, and the audio once', () => {
    const args = smartCutArgs(cut);
    // Each piece has its input: the head's and tail's are read a little past their last picture only.
    expect([0, 1, 2, 3].map((n) => valueAfter(args, '-ss', n))).toEqual([
      '3.300000',
      '3.980000',
      '5.820000',
      '3.320000',
    ]);
    expect(args.slice(args.indexOf('-ss'), args.indexOf('-ss') + 6)).toEqual([
      '-ss',
      '3.300000',
      '-t',
      '1.200000',
      '-i',
      '/media/a.mp4',
    ]);
    const head = args.slice(args.lastIndexOf('-i') + 2, args.indexOf('head.ts'));
    const body = args.slice(args.indexOf('head.ts') + 1, args.indexOf('body.ts'));
    const tail = args.slice(args.indexOf('body.ts') + 1, args.indexOf('tail.ts'));
    const audio = args.slice(args.indexOf('tail.ts') + 1);
    expect(valueAfter(head, '-map')).toBe('0:0');
    expect(valueAfter(head, '-frames:v')).toBe('17');
    expect(head).toEqual(expect.arrayContaining(ENCODER));
    expect(valueAfter(body, '-map')).toBe('1:0');
    expect(valueAfter(body, '-frames:v')).toBe('46');
    expect(valueAfter(body, '-c')).toBe('copy');
    // The leading pictures of an open GOP, decoded after the keyframe but shown before it, are dropped.
    // Parameter sets go before every keyframe: an open GOP's is no IDR, which alone gets them from the MP4 header.
    expect(valueAfter(body, '-bsf:v')).toBe('noise=drop=lt(pts\\,startpts),h264_mp4toannexb,dump_extra=freq=keyframe');
    expect(body).not.toContain('-t');
    expect(valueAfter(tail, '-map')).toBe('2:0');
    expect(valueAfter(tail, '-frames:v')).toBe('4');
    expect(audio.filter((arg) => /^\d:\d$/.test(arg))).toEqual(['3:2', '3:3']);
    expect(valueAfter(audio, '-copypriorss')).toBe('0');
    expect(valueAfter(audio, '-t')).toBe('2.680000');
    expect(args).not.toContain('-threads');
  });

  it("gives the decoders of the head and the tail the threads asked for, as their inputs' option", () => {
    const args = smartCutArgs({ ...cut, decoderThreads: 1 });
    const inputs = args.slice(0, args.lastIndexOf('-i') + 2);
    const threadsAt = inputs.flatMap((arg, i) => (arg === '-threads' ? [i] : []));
    expect(threadsAt.map((i) => inputs[i + 1])).toEqual(['1', '1']);
    // Before the head's input and the tail's (the first and third), not the body's or the audio's.
    const inputAt = inputs.flatMap((arg, i) => (arg === '-i' ? [i] : []));
    expect(threadsAt[0]).toBeLessThan(inputAt[0]);
    expect(threadsAt[1]).toBeGreaterThan(inputAt[1]);
    expect(threadsAt[1]).toBeLessThan(inputAt[2]);
  });

  it('leaves out the pieces a clip does not need, and copies a body to the source end without a count', () => {
    const args = smartCutArgs({
      ...cut,
      head: undefined,
      tail: undefined,
      audio: undefined,
      body: { ...cut.body, frames: undefined },
    });
    expect(args.filter((arg) => arg === '-i')).toHaveLength(1);
    expect(args).not.toContain('-frames:v');
    expect(args).not.toContain('libx264');
    expect(valueAfter(args, '-map')).toBe('0:0');
  });
});

describe(joinPiecesArgs.name, () => {
  it('joins a smart cut from its concat list and audio', () => {
    expect(
      joinPiecesArgs({ videoLists: ['pieces.txt'], audio: 'audio.ts', audioStreamCount: 2, output: 'clip.ts' }),
    ).toEqual(expect.arrayContaining(['-f', 'concat', '-safe', '0', '-i', 'pieces.txt', '-i', 'audio.ts']));
    const mapped = (videoLists: string[]) =>
      joinPiecesArgs({ videoLists, audio: 'a.ts', audioStreamCount: 2, output: 'c.ts' }).filter(
        (_, i, all) => all[i - 1] === '-map',
      );
    expect(mapped(['p.txt'])).toEqual(['0:v:0', '1:a:0', '1:a:1']);
    // Several videos: one list each, the audio after them.
    expect(mapped(['p0.txt', 'p1.txt'])).toEqual(['0:v:0', '1:v:0', '2:a:0', '2:a:1']);
  });
});

describe(stitchPiecesArgs.name, () => {
  it("stitches the download's MP4 from every clip's pieces and audio, each from its concat list, by copy", () => {
    const args = stitchPiecesArgs({
      videoLists: ['v0.txt', 'v1.txt'],
      audioList: 'audio.txt',
      audioLanguages: ['eng', undefined],
      output: 'out.mp4',
    });
    expect(args.filter((_, i, all) => all[i - 1] === '-i')).toEqual(['v0.txt', 'v1.txt', 'audio.txt']);
    expect(args.filter((_, i, all) => all[i - 1] === '-f').slice(0, 3)).toEqual(['concat', 'concat', 'concat']);
    expect(args.filter((_, i, all) => all[i - 1] === '-map')).toEqual(['0:v:0', '1:v:0', '2:a:0', '2:a:1']);
    expect(args).toEqual(
      expect.arrayContaining(['-c', 'copy', '-metadata:s:a:0', 'language=eng', '-movflags', '+faststart']),
    );
    expect(args.slice(-3)).toEqual(['-f', 'mp4', 'out.mp4']);
    const silent = stitchPiecesArgs({
      videoLists: ['v0.txt'],
      audioList: undefined,
      audioLanguages: [],
      output: 'o.mp4',
    });
    expect(silent.filter((_, i, all) => all[i - 1] === '-map')).toEqual(['0:v:0']);
  });
});
