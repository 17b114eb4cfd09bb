import type { VideoPacket } from './video-packets.js';

/**
 * What the smart cut's checks need from its own MPEG-TS intermediates, read without starting a
 * process: each video's packets (one PES packet per picture, as ffmpeg's muxer writes them) with
 * their times, and the bytes of its first picture (Annex B, parameter sets in band).
 */

const PACKET_BYTES = 188;
const SYNC_BYTE = 0x47;
const PAT_PID = 0;
/** PMT stream types of video: MPEG-1, MPEG-2, MPEG-4 part 2, H.264, HEVC. */
const VIDEO_STREAM_TYPES = new Set([0x01, 0x02, 0x10, 0x1b, 0x24]);
const TICKS_PER_SECOND = 90_000;

/** The file is not MPEG-TS as ffmpeg writes it, or holds no such video. */
export class MpegTsError extends Error {}

/** One video's packets and first picture, as read so far. */
export interface MpegTsVideo {
  /** In decode order, in the file's own times (seconds); `keyframe` from the random access indicator. */
  packets: VideoPacket[];
  /** The first picture's PES payload: for H.264 and HEVC its NAL units, parameter sets first. */
  firstPicture: Buffer | undefined;
}

/**
 * Reads the `video`th video stream (PMT order, as ffmpeg numbers `v:N`) of an MPEG-TS file fed in
 * chunks of any size. `stopAfterFirstPicture` lets a caller stop reading once it has what it needs.
 */
export class MpegTsVideoReader {
  private pending = Buffer.alloc(0);
  private pmtPid: number | undefined;
  private videoPid: number | undefined;
  private firstPictureParts: Buffer[] | undefined;
  private readonly packets: VideoPacket[] = [];
  private firstPicture: Buffer | undefined;

  constructor(private readonly video: number) {}

  /** True once the first picture is complete (the next picture of the stream has begun). */
  get hasFirstPicture(): boolean {
    return this.firstPicture !== undefined;
  }

  push(chunk: Buffer): void {
    const bytes = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    let offset = 0;
    for (; offset + PACKET_BYTES <= bytes.length; offset += PACKET_BYTES) this.packet(bytes, offset);
    this.pending = Buffer.from(bytes.subarray(offset));
  }

  /** What the whole file held: the first picture also when the file ends inside it. */
  end(): MpegTsVideo {
    if (this.pending.length > 0) throw new MpegTsError('the file ends inside a transport packet');
    if (!this.firstPicture && this.firstPictureParts) this.firstPicture = this.pesPayload(this.firstPictureParts);
    return this.readSoFar();
  }

  /** What was read up to here (the first picture once complete). */
  readSoFar(): MpegTsVideo {
    if (this.videoPid === undefined) throw new MpegTsError(`the file has no video stream ${this.video}`);
    return { packets: this.packets, firstPicture: this.firstPicture };
  }

  private packet(bytes: Buffer, offset: number): void {
    if (bytes[offset] !== SYNC_BYTE) throw new MpegTsError(`no sync byte at offset ${offset}`);
    const unitStart = (bytes[offset + 1] & 0x40) !== 0;
    const pid = ((bytes[offset + 1] & 0x1f) << 8) | bytes[offset + 2];
    const adaptation = (bytes[offset + 3] >> 4) & 0x3;
    let payload = offset + 4;
    let randomAccess = false;
    if (adaptation & 0x2) {
      const length = bytes[payload];
      randomAccess = length > 0 && (bytes[payload + 1] & 0x40) !== 0;
      payload += 1 + length;
    }
    if ((adaptation & 0x1) === 0 || payload >= offset + PACKET_BYTES) return;
    const data = bytes.subarray(payload, offset + PACKET_BYTES);
    if (pid === PAT_PID && unitStart && this.pmtPid === undefined) this.pmtPid = readPat(data);
    else if (pid === this.pmtPid && unitStart && this.videoPid === undefined) this.videoPid = readPmt(data, this.video);
    else if (pid === this.videoPid) this.videoPayload(data, unitStart, randomAccess);
  }

  private videoPayload(data: Buffer, unitStart: boolean, randomAccess: boolean): void {
    if (unitStart) {
      if (this.firstPictureParts && !this.firstPicture) this.firstPicture = this.pesPayload(this.firstPictureParts);
      const times = pesTimes(data);
      this.packets.push({ ...times, keyframe: randomAccess });
      if (!this.firstPictureParts) this.firstPictureParts = [];
    } else if (this.packets.length === 0) {
      // The continuation of a PES packet begun before the file did: not one of its pictures.
      return;
    }
    if (!this.firstPicture) this.firstPictureParts!.push(Buffer.from(data));
  }

  private pesPayload(parts: Buffer[]): Buffer {
    const pes = Buffer.concat(parts);
    return pes.subarray(9 + pes[8]);
  }
}

/** The PID of the first program's PMT, from a PAT section that fits one packet (as ffmpeg writes it). */
function readPat(data: Buffer): number {
  const section = data.subarray(1 + data[0]);
  const length = ((section[1] & 0x0f) << 8) | section[2];
  // Program entries from byte 8 up to the CRC; program 0 names the network PID.
  for (let at = 8; at + 4 <= 3 + length - 4; at += 4) {
    const program = (section[at] << 8) | section[at + 1];
    if (program !== 0) return ((section[at + 2] & 0x1f) << 8) | section[at + 3];
  }
  throw new MpegTsError('the PAT names no program');
}

/** The PID of the `video`th video stream a PMT section lists. */
function readPmt(data: Buffer, video: number): number {
  const section = data.subarray(1 + data[0]);
  const length = ((section[1] & 0x0f) << 8) | section[2];
  const end = 3 + length - 4;
  let at = 12 + (((section[10] & 0x0f) << 8) | section[11]);
  let seen = 0;
  for (; at + 5 <= end; at += 5 + (((section[at + 3] & 0x0f) << 8) | section[at + 4])) {
    if (!VIDEO_STREAM_TYPES.has(section[at])) continue;
    if (seen++ === video) return ((section[at + 1] & 0x1f) << 8) | section[at + 2];
  }
  throw new MpegTsError(`the PMT lists ${seen} video stream(s), not a video ${video}`);
}

/** PTS and DTS (seconds) from a PES header; without a DTS the picture is decoded when shown. */
function pesTimes(data: Buffer): { pts: number; dts: number } {
  if (data.length < 14 || data[0] !== 0 || data[1] !== 0 || data[2] !== 1) {
    throw new MpegTsError('a video PES packet without its header');
  }
  const flags = data[7] >> 6;
  if ((flags & 0x2) === 0) throw new MpegTsError('a video PES packet without a presentation time');
  const pts = timestamp(data, 9);
  const dts = flags === 0x3 ? timestamp(data, 14) : pts;
  return { pts: pts / TICKS_PER_SECOND, dts: dts / TICKS_PER_SECOND };
}

/** A 33-bit PES timestamp in its five bytes (marker bits between). */
function timestamp(data: Buffer, at: number): number {
  return (
    ((data[at] >> 1) & 0x07) * 2 ** 30 +
    (data[at + 1] << 22) +
    ((data[at + 2] >> 1) << 15) +
    (data[at + 3] << 7) +
    (data[at + 4] >> 1)
  );
}
