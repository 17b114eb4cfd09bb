import type { VideoPacket } from '../media/video-packets.js';
import { cleanPoints, firstFrameFrom, hasLeadingPictures, picturesBetween } from './clean-points.js';
import { copySpan } from './copy-cut.js';
import type { ClipPackets, ClipScope, CutMethod, EncodedSpan } from './cut-plan.js';

/** Codecs whose pictures the smart cut re-encodes to join copied ones (see matching-encoder.ts). */
const SMART_CODECS = ['h264', 'hevc'];

/** Whether a video in this codec may be smart cut (whether it is depends on its packets and encoding). */
export function maySmartCut(codec: string): boolean {
  return SMART_CODECS.includes(codec);
}

/**
 * A frame-accurate cut: from the first picture at or after the start to the last shown more than
 * half a frame before the end. The smart cut re-encodes only the pictures before the first
 * keyframe (the head) and after the last clean point before the end (the tail, a few pictures with
 * B-frames, none without), and copies the rest (the body); everything else is re-encoded whole.
 * A clip that starts on a keyframe and ends on a clean point without B-frames is a plain copy.
 */
export function chooseFrameAccurateCut(
  scope: ClipScope,
  startPackets: VideoPacket[],
  endPackets: VideoPacket[],
): CutMethod {
  const { video, startSeconds, endSeconds, halfFrameSeconds } = scope;
  const reencode: CutMethod = { kind: 'reencode', encode: { fromSeconds: startSeconds, untilSeconds: endSeconds } };
  const frameRate = video?.frameRate;
  const firstFrame = firstFrameFrom(startSeconds, startPackets);
  if (!video || frameRate === undefined || firstFrame === undefined) return reencode;
  const keyframe = startPackets
    .filter((packet) => packet.keyframe && packet.pts >= firstFrame - halfFrameSeconds)
    .sort((a, b) => a.pts - b.pts)[0];
  if (!keyframe || keyframe.pts >= endSeconds - halfFrameSeconds) return reencode;
  const needsHead = keyframe.pts - firstFrame > halfFrameSeconds;
  const bFrames = video.reorderDelay > 0;
  // The first picture after the end, or the source's end.
  const pastEnd = scope.toSourceEnd
    ? undefined
    : ([...endPackets].sort((a, b) => a.pts - b.pts).find((packet) => packet.pts >= endSeconds - halfFrameSeconds)
        ?.pts ?? endSeconds);
  if (!needsHead && !bFrames) {
    return { kind: 'copy', copy: copySpan(scope, startPackets, endPackets) };
  }
  if (!maySmartCut(video.codec)) return reencode;
  // H.264 has no CRA: an open GOP's copied keyframe keeps frame numbers and memory operations that
  // point at the leading pictures left out (and, after a head, at the head's), and decoders fail on them.
  if (video.codec === 'h264' && hasLeadingPictures(startPackets, keyframe)) return reencode;
  const bodyEnd =
    pastEnd === undefined
      ? undefined
      : bFrames
        ? cleanPoints(endPackets)
            .filter((point) => point.untilSeconds <= pastEnd + halfFrameSeconds)
            .at(-1)?.untilSeconds
        : pastEnd;
  if (pastEnd !== undefined && (bodyEnd === undefined || bodyEnd <= keyframe.pts + halfFrameSeconds)) return reencode;
  const head: EncodedSpan | undefined = needsHead
    ? {
        fromSeconds: firstFrame,
        untilSeconds: keyframe.pts,
        frames: picturesBetween(startPackets, firstFrame - halfFrameSeconds, keyframe.pts - halfFrameSeconds),
      }
    : undefined;
  const tail: EncodedSpan | undefined =
    bodyEnd !== undefined && pastEnd !== undefined && pastEnd - bodyEnd > halfFrameSeconds
      ? {
          fromSeconds: bodyEnd,
          untilSeconds: pastEnd,
          frames: picturesBetween(endPackets, bodyEnd - halfFrameSeconds, pastEnd - halfFrameSeconds),
        }
      : undefined;
  return {
    kind: 'smart',
    head,
    body: {
      fromSeconds: keyframe.pts,
      untilSeconds: bodyEnd ?? endSeconds,
      // Counted at the frame rate: the packets between are not read. The check after the join holds it to the count.
      frames: bodyEnd === undefined ? undefined : Math.round((bodyEnd - keyframe.pts) * frameRate),
    },
    tail,
  };
}

/**
 * A smart cut of the first video extended to every further selected video, each cut on its own
 * keyframes and clean points; all must cover the same pictures, else the clip is re-encoded whole.
 */
export function smartCutOfEveryVideo(
  scope: ClipScope,
  method: CutMethod,
  packets: ClipPackets['otherVideos'],
): CutMethod {
  const others = scope.streams.filter((stream) => stream.type === 'video' && stream !== scope.video);
  if (method.kind !== 'smart' || others.length === 0) return method;
  const reencode: CutMethod = {
    kind: 'reencode',
    encode: { fromSeconds: scope.startSeconds, untilSeconds: scope.endSeconds },
  };
  const tracks: NonNullable<SmartMethod['others']> = [];
  for (const video of others) {
    const read = packets?.get(video.index);
    if (!read) return reencode;
    const cut = chooseFrameAccurateCut(
      { ...scope, video },
      read.start ?? [{ pts: 0, dts: 0, keyframe: true }],
      read.end ?? [],
    );
    if (cut.kind !== 'smart' || !sameCover(cut, method, scope.halfFrameSeconds)) return reencode;
    tracks.push({ videoIndex: video.index, head: cut.head, body: cut.body, tail: cut.tail });
  }
  return { ...method, others: tracks };
}

type SmartMethod = Extract<CutMethod, { kind: 'smart' }>;

/** The same pictures: from the same first to the same last, as many of them. */
function sameCover(a: SmartMethod, b: SmartMethod, halfFrameSeconds: number): boolean {
  const from = (cut: SmartMethod) => (cut.head ?? cut.body).fromSeconds;
  const until = (cut: SmartMethod) => (cut.tail ?? cut.body).untilSeconds;
  const frames = (cut: SmartMethod) => (cut.head?.frames ?? 0) + (cut.body.frames ?? NaN) + (cut.tail?.frames ?? 0);
  return (
    Math.abs(from(a) - from(b)) < halfFrameSeconds &&
    Math.abs(until(a) - until(b)) < halfFrameSeconds &&
    (frames(a) === frames(b) || (a.body.frames === undefined && b.body.frames === undefined))
  );
}
