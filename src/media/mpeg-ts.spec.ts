import { describe, expect, it } from 'vitest';
import { MpegTsError, MpegTsVideoReader } from './mpeg-ts.js';

/** Transport packets as ffmpeg's muxer writes them: PAT, PMT, then PES packets split over 188-byte packets. */
function packet(pid: number, unitStart: boolean, payload: Buffer, randomAccess = false): Buffer {
  const header = Buffer.from([0x47, (unitStart ? 0x40 : 0) | (pid >> 8), pid & 0xff, 0]);
  const room = 184;
  const needsAdaptation = randomAccess || payload.length < room;
  if (!needsAdaptation) {
    header[3] = 0x10;
    return Buffer.concat([header, payload]);
  }
  // Adaptation field: its length, flags (random access indicator), stuffing to fill the packet.
  const adaptationLength = room - 1 - payload.length;
  header[3] = 0x30;
  const adaptation = Buffer.alloc(1 + adaptationLength, 0xff);
  adaptation[0] = adaptationLength;
  if (adaptationLength > 0) adaptation[1] = randomAccess ? 0x40 : 0;
  return Buffer.concat([header, adaptation, payload]);
}

function section(tableId: number, body: Buffer): Buffer {
  const length = 5 + body.length + 4;
  const head = Buffer.from([tableId, 0xb0 | (length >> 8), length & 0xff, 0, 1, 0xc1, 0, 0]);
  // Pointer field first; the CRC is not checked.
  return Buffer.concat([Buffer.from([0]), head, body, Buffer.alloc(4)]);
}

const pat = packet(0, true, section(0, Buffer.from([0, 1, 0xf0 | 0x10, 0x00])));
/** Streams in PMT order: an audio, an H.264 video (PID 0x100), an HEVC video (PID 0x102). */
const pmt = packet(
  0x1000,
  true,
  section(
    2,
    Buffer.concat([
      Buffer.from([0xe1, 0x00, 0xf0, 0x00]),
      Buffer.from([0x0f, 0xe1, 0x01, 0xf0, 0x00]),
      Buffer.from([0x1b, 0xe1, 0x00, 0xf0, 0x02, 0x0a, 0x00]),
      Buffer.from([0x24, 0xe1, 0x02, 0xf0, 0x00]),
    ]),
  ),
);

function timestamp(prefix: number, ticks: number): Buffer {
  const high = Math.floor(ticks / 2 ** 30);
  return Buffer.from([
    (prefix << 4) | (high << 1) | 1,
    (ticks >> 22) & 0xff,
    (((ticks >> 15) & 0x7f) << 1) | 1,
    (ticks >> 7) & 0xff,
    ((ticks & 0x7f) << 1) | 1,
  ]);
}

/** One picture: a PES header with PTS (and DTS when it differs), then the data, over as many packets as it takes. */
function picture(pid: number, ptsTicks: number, dtsTicks: number, data: Buffer, keyframe = false): Buffer[] {
  const both = ptsTicks !== dtsTicks;
  const times = both ? Buffer.concat([timestamp(3, ptsTicks), timestamp(1, dtsTicks)]) : timestamp(2, ptsTicks);
  const pes = Buffer.concat([Buffer.from([0, 0, 1, 0xe0, 0, 0, 0x80, both ? 0xc0 : 0x80, times.length]), times, data]);
  const packets: Buffer[] = [];
  // A keyframe's first packet carries an adaptation field (length and flags): two bytes less room.
  for (let at = 0; at < pes.length;) {
    const room = keyframe && at === 0 ? 182 : 184;
    packets.push(packet(pid, at === 0, pes.subarray(at, at + room), keyframe && at === 0));
    at += room;
  }
  return packets;
}

const annexB = (...nals: number[][]) => Buffer.concat(nals.map((nal) => Buffer.from([0, 0, 0, 1, ...nal])));
const firstData = Buffer.concat([annexB([0x67, 0x64, 0x00, 0x1f], [0x68, 0xeb]), Buffer.alloc(400, 0x65)]);

/** A file of three H.264 pictures (I P B in decode order) and two HEVC ones, interleaved, plus audio. */
function file(): Buffer {
  const audio = packet(0x101, true, Buffer.alloc(184, 0xaa));
  return Buffer.concat([
    pat,
    pmt,
    ...picture(0x100, 2 * 3600, 0, firstData, true),
    audio,
    ...picture(0x102, 90_000, 90_000, annexB([0x40, 0x01], [0x26, 0x01]), true),
    ...picture(0x100, 4 * 3600, 3600, Buffer.alloc(20, 0x41)),
    ...picture(0x102, 93_600, 93_600, annexB([0x02, 0x01])),
    // Past 2^32 ticks: the 33rd bit.
    ...picture(0x100, 2 ** 32 + 3600, 2 ** 32, Buffer.alloc(10, 0x01)),
  ]);
}

describe(MpegTsVideoReader.name, () => {
  it('lists the pictures of the nth video in PMT order, with their times, key flags and first picture, however the bytes arrive', () => {
    for (const chunkBytes of [188, 1000, 7, 1 << 20]) {
      const reader = new MpegTsVideoReader(0);
      const bytes = file();
      for (let at = 0; at < bytes.length; at += chunkBytes) reader.push(bytes.subarray(at, at + chunkBytes));
      const { packets, firstPicture } = reader.end();
      expect(packets).toEqual([
        { pts: 0.08, dts: 0, keyframe: true },
        { pts: 0.16, dts: 0.04, keyframe: false },
        { pts: (2 ** 32 + 3600) / 90_000, dts: 2 ** 32 / 90_000, keyframe: false },
      ]);
      expect(firstPicture).toEqual(firstData);
    }
    const hevc = new MpegTsVideoReader(1);
    hevc.push(file());
    expect(hevc.end()).toEqual({
      packets: [
        { pts: 1, dts: 1, keyframe: true },
        { pts: 1.04, dts: 1.04, keyframe: false },
      ],
      firstPicture: annexB([0x40, 0x01], [0x26, 0x01]),
    });
  });

  it('has the first picture once the next one begins, before the file is read to its end', () => {
    const reader = new MpegTsVideoReader(0);
    const bytes = file();
    // PAT, PMT and the first picture's three packets.
    reader.push(bytes.subarray(0, 5 * 188));
    expect(reader.hasFirstPicture).toBe(false);
    reader.push(bytes.subarray(5 * 188, 7 * 188));
    expect(reader.hasFirstPicture).toBe(false);
    reader.push(bytes.subarray(7 * 188, 8 * 188));
    expect(reader.hasFirstPicture).toBe(true);
    expect(reader.readSoFar().firstPicture).toEqual(firstData);
  });

  it('refuses what is not MPEG-TS, a video that is not there and a file cut inside a packet', () => {
    const notTs = new MpegTsVideoReader(0);
    expect(() => notTs.push(Buffer.alloc(188 * 2, 0x00))).toThrow(MpegTsError);
    const third = new MpegTsVideoReader(2);
    expect(() => third.push(file())).toThrow('the PMT lists 2 video stream(s), not a video 2');
    const cut = new MpegTsVideoReader(0);
    cut.push(file().subarray(0, 188 * 4 + 100));
    expect(() => cut.end()).toThrow('the file ends inside a transport packet');
    expect(() => new MpegTsVideoReader(0).end()).toThrow('the file has no video stream 0');
  });
});
