import { describe, expect, it } from 'vitest';
import { decodeCheckArgs, inPresentationOrder, parseDecodeCheck } from './inspect-args.js';

describe(parseDecodeCheck.name, () => {
  it("reads the decoder's complaints and the pictures' times from a framecrc listing", () => {
    const framecrc =
      '#stream#, dts, pts, duration, size, checksum\n0, 0, 0, 1, 86400, 0x5e2a1b3c\n0, 1, 1, 1, 86400, 0x0d1e2f30\n';
    expect(parseDecodeCheck(framecrc, '[h264 @ 0x1] co located POCs unavailable\n\n')).toEqual({
      errors: ['[h264 @ 0x1] co located POCs unavailable'],
      pictureTimes: [0, 1],
    });
    expect(inPresentationOrder([0, 1, 3])).toBe(true);
    expect(inPresentationOrder([0, 2, 1])).toBe(false);
    expect(inPresentationOrder([0, 1, 1])).toBe(false);
  });

  it('decodes from the start, without a seek, for as long as asked, keeping every picture', () => {
    const args = decodeCheckArgs({ path: '/w/clip.ts', concat: false }, 1, 1.68);
    expect(args).not.toContain('-ss');
    expect(args.slice(args.indexOf('-t'), args.indexOf('-t') + 2)).toEqual(['-t', '1.680000']);
    expect(args).toEqual(expect.arrayContaining(['-map', '0:v:1', '-fps_mode', 'passthrough', '-f', 'framecrc']));
    expect(decodeCheckArgs({ path: '/w/tail.ts', concat: false }, 0)).not.toContain('-t');
    // One decoding thread, given as the input's option.
    expect(args.slice(args.indexOf('-threads'), args.indexOf('-threads') + 2)).toEqual(['-threads', '1']);
    expect(args.indexOf('-threads')).toBeLessThan(args.indexOf('-i'));
    // What the decoder reads is checked, not the pictures: no deblocking, no copy of each picture.
    expect(args.slice(args.indexOf('-skip_loop_filter'), args.indexOf('-skip_loop_filter') + 2)).toEqual([
      '-skip_loop_filter',
      'all',
    ]);
    expect(args.indexOf('-skip_loop_filter')).toBeLessThan(args.indexOf('-i'));
    expect(args).toEqual(expect.arrayContaining(['-c:v', 'wrapped_avframe']));
    // The pieces of a smart cut, joined as the concat demuxer joins them.
    expect(decodeCheckArgs({ path: '/w/pieces.txt', concat: true }, 0, 1)).toEqual(
      expect.arrayContaining(['-f', 'concat', '-safe', '0', '-i', '/w/pieces.txt', '-map', '0:v:0']),
    );
  });
});
