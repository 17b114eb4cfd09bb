import { SEEK_EPSILON } from '../media/ffmpeg-args.js';
import type { VideoPacket } from '../media/video-packets.js';

/** How far before the start (and after the end) keyframes are looked for (the packet window read around the start). */
export const KEYFRAME_SEARCH_SECONDS = 20;
/** How far around the end the packets are read that tell where a copy can stop (B-frames reorder within a few pictures). */
export const END_SEARCH_SECONDS = 2;

/**
 * Where a copied run of video packets may stop. Packets come in decode order; a stream copy keeps
 * a prefix of them. With B-frames a prefix can hold pictures shown after pictures it leaves out
 * (the P a B is decoded after), so only some points are clean: those where every picture kept is
 * shown before every picture left out. With B-frames in mini-GOPs these come every few pictures,
 * not only at keyframes; without B-frames every point is clean.
 */
export interface CleanPoint {
  /** The first picture left out is shown here: the kept pictures cover everything before it. */
  untilSeconds: number;
  /** The decode time of the first packet left out: a copy that stops by decode time stops here. */
  untilDecodeSeconds: number;
}

/** Every clean point among the packets (in decode order), earliest first. */
export function cleanPoints(packets: VideoPacket[]): CleanPoint[] {
  const points: CleanPoint[] = [];
  // The smallest presentation time from each packet on, computed from the end.
  const laterMinimum: number[] = new Array(packets.length);
  let minimum = Infinity;
  for (let n = packets.length - 1; n >= 0; n--) {
    minimum = Math.min(minimum, packets[n].pts);
    laterMinimum[n] = minimum;
  }
  let keptMaximum = -Infinity;
  for (let n = 0; n + 1 < packets.length; n++) {
    keptMaximum = Math.max(keptMaximum, packets[n].pts);
    if (keptMaximum < laterMinimum[n + 1]) {
      points.push({ untilSeconds: laterMinimum[n + 1], untilDecodeSeconds: packets[n + 1].dts });
    }
  }
  return points;
}

/** The pictures shown in [from, until), from a packet list that covers them. */
export function picturesBetween(packets: VideoPacket[], fromSeconds: number, untilSeconds: number): number {
  return packets.filter((packet) => packet.pts >= fromSeconds && packet.pts < untilSeconds).length;
}

/**
 * Pictures decoded after the keyframe but shown before it: an open GOP's leading pictures, which
 * refer to the GOP before and are left out when a copy starts on that keyframe.
 */
export function hasLeadingPictures(packets: VideoPacket[], keyframe: VideoPacket): boolean {
  const at = packets.indexOf(keyframe);
  return packets.slice(at + 1).some((packet) => packet.pts < keyframe.pts && packet.dts > keyframe.dts);
}

/** The first frame shown at or after the start; a seek lands on a frame printed a hair before it. */
export function firstFrameFrom(startSeconds: number, packets: VideoPacket[]): number | undefined {
  return presentationTimes(packets).find((time) => time >= startSeconds - SEEK_EPSILON);
}

export function presentationTimes(packets: VideoPacket[]): number[] {
  return packets.map((packet) => packet.pts).sort((a, b) => a - b);
}
