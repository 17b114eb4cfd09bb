import { describe, expect, it } from 'vitest';
import { cleanPoints, hasLeadingPictures, picturesBetween } from './clean-points.js';

// x264 with B-pyramid, one mini-GOP: I0 P4 B2 b1 b3 P8 B6 b5 b7, in decode order (times in frames).
const at = (pts: number, dts: number, keyframe = false) => ({ pts, dts, keyframe });
const miniGops = [at(0, -2, true), at(4, -1), at(2, 0), at(1, 1), at(3, 2), at(8, 3), at(6, 4), at(5, 5), at(7, 6)];

describe(cleanPoints.name, () => {
  it('finds the points in decode order where every kept picture is shown before every left-out one', () => {
    expect(cleanPoints(miniGops)).toEqual([
      { untilSeconds: 1, untilDecodeSeconds: -1 },
      { untilSeconds: 5, untilDecodeSeconds: 3 },
    ]);
    // Without B-frames, every point is clean.
    const plain = [0, 1, 2, 3].map((n) => at(n, n, n === 0));
    expect(cleanPoints(plain).map((point) => point.untilSeconds)).toEqual([1, 2, 3]);
  });
});

describe(hasLeadingPictures.name, () => {
  it("tells an open GOP's keyframe, whose B-frames shown before it are decoded after it", () => {
    const open = [at(6, 0), at(8, 1, true), at(7, 2), at(10, 3)];
    expect(hasLeadingPictures(open, open[1])).toBe(true);
    expect(hasLeadingPictures(miniGops, miniGops[0])).toBe(false);
    expect(picturesBetween(miniGops, 2, 6)).toBe(4);
  });
});
