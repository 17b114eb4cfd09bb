import { describe, expect, it } from 'vitest';
import { parseVideoPackets } from './video-packets.js';

describe(parseVideoPackets.name, () => {
  it('reads presentation and decode times and key flags in decode order, skipping packets without a time', () => {
    const csv =
      '2.080000,2.000000,K__\n2.240000,2.040000,___\n2.160000,2.080000,___\nN/A,N/A,K__\n0.000000,,K_\n\n4.080000,4.000000,K__,side_data\n';
    expect(parseVideoPackets(csv)).toEqual([
      { pts: 2.08, dts: 2, keyframe: true },
      { pts: 2.24, dts: 2.04, keyframe: false },
      { pts: 2.16, dts: 2.08, keyframe: false },
      { pts: 0, dts: 0, keyframe: true },
      { pts: 4.08, dts: 4, keyframe: true },
    ]);
  });

  it('takes the presentation time as decode time when the decode time is missing or unreadable', () => {
    expect(parseVideoPackets('1.000000,N/A,K_\n1.040000\n')).toEqual([
      { pts: 1, dts: 1, keyframe: true },
      { pts: 1.04, dts: 1.04, keyframe: false },
    ]);
  });
});
