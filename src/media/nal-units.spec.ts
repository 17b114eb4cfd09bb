import { describe, expect, it } from 'vitest';
import {
  craToBla,
  encoderOptions,
  h264ProfileAndLevel,
  nalType,
  parameterSets,
  sameParameterSets,
  splitNalUnits,
} from './nal-units.js';

const sps = Buffer.from([0x67, 0x64, 0x00, 0x1f, 0xac]);
const pps = Buffer.from([0x68, 0xeb, 0xe3]);
const sei = Buffer.concat([
  Buffer.from([0x06, 0x05, 0x30]),
  Buffer.from('x264 - core 164 - options: cabac=1 ref=3 b_pyramid=2 aq=1:1.00\0', 'latin1'),
  // rbsp_trailing_bits
  Buffer.from([0x80]),
]);
const slice = Buffer.from([0x65, 0x88, 0x84, 0x00, 0x00, 0x03, 0x01]);
const annexB = (nals: Buffer[], four = true) =>
  Buffer.concat(nals.flatMap((nal, n) => [Buffer.from(four || n === 0 ? [0, 0, 0, 1] : [0, 0, 1]), nal]));

describe(splitNalUnits.name, () => {
  it('splits on three- and four-byte start codes and keeps emulation prevention bytes inside a unit', () => {
    expect(splitNalUnits(annexB([sps, pps, sei, slice], false))).toEqual([sps, pps, sei, slice]);
    expect(splitNalUnits(annexB([sps, pps]))).toEqual([sps, pps]);
    expect(nalType('h264', slice)).toBe(5);
    expect(nalType('hevc', Buffer.from([0x40, 0x01]))).toBe(32);
  });
});

describe(parameterSets.name, () => {
  it('takes each parameter set once, in order, and compares them byte for byte', () => {
    const sets = parameterSets('h264', splitNalUnits(annexB([sps, pps, sei, sps, slice])));
    expect(sets).toEqual([sps, pps]);
    expect(sameParameterSets(sets, [sps, pps])).toBe(true);
    expect(sameParameterSets(sets, [sps, Buffer.from([0x68, 0xeb, 0xe2])])).toBe(false);
    expect(sameParameterSets(sets, [sps])).toBe(false);
    expect(sameParameterSets([], [])).toBe(false);
    expect(h264ProfileAndLevel(sps)).toEqual({ profileIdc: 100, levelIdc: 31 });
  });
});

describe(encoderOptions.name, () => {
  it("reads x264's option string from its SEI, up to the terminator", () => {
    const read = encoderOptions(annexB([sps, pps, sei, slice]))!;
    expect(read.encoder).toBe('x264');
    expect([...read.options]).toEqual([
      ['cabac', '1'],
      ['ref', '3'],
      ['b_pyramid', '2'],
      ['aq', '1:1.00'],
    ]);
  });

  it("reads x265's flags, and nothing from other encoders", () => {
    const x265 = Buffer.from(
      '\x4e\x01\x05x265 (build 199) - 3.5 - options: wpp no-pmode bframes=4 deblock=0:0\0',
      'latin1',
    );
    expect([...encoderOptions(annexB([x265]))!.options]).toEqual([
      ['wpp', ''],
      ['no-pmode', ''],
      ['bframes', '4'],
      ['deblock', '0:0'],
    ]);
    expect(encoderOptions(annexB([sps, pps, slice]))).toBeUndefined();
  });
});

describe(craToBla.name, () => {
  it('turns the first HEVC picture into a BLA when it is a CRA, past the parameter sets, and nothing else', () => {
    const vps = Buffer.from([0x40, 0x01, 0x0c]);
    const cra = Buffer.from([0x2a, 0x01, 0xaf]);
    const bytes = annexB([Buffer.from([0x46, 0x01, 0x50]), vps, cra, cra]);
    expect(craToBla(bytes)).toBe(true);
    expect(splitNalUnits(bytes).map((nal) => nalType('hevc', nal))).toEqual([35, 32, 16, 21]);
    const idr = annexB([vps, Buffer.from([0x26, 0x01, 0xaf]), cra]);
    expect(craToBla(idr)).toBe(false);
    expect(splitNalUnits(idr).map((nal) => nalType('hevc', nal))).toEqual([32, 19, 21]);
  });
});
