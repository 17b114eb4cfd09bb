import type { VideoPacket } from '../media/video-packets.js';
import { cleanPoints, END_SEARCH_SECONDS, KEYFRAME_SEARCH_SECONDS, presentationTimes } from './clean-points.js';
import type { ClipScope, CopySpan } from './cut-plan.js';

/** Stream copy starts on the keyframe at or before the start (or 20 s before it when none is that close). */
export function copySpan(
  scope: ClipScope,
  startPackets: VideoPacket[],
  endPackets: VideoPacket[] | undefined,
): CopySpan {
  const { video, startSeconds, halfFrameSeconds } = scope;
  if (!video) return { fromSeconds: startSeconds, ...copyEnd(scope, endPackets) };
  const before = presentationTimes(startPackets.filter((packet) => packet.keyframe))
    .filter((time) => time <= startSeconds + halfFrameSeconds)
    .at(-1);
  return { fromSeconds: before ?? Math.max(0, startSeconds - KEYFRAME_SEARCH_SECONDS), ...copyEnd(scope, endPackets) };
}

/** Where a stream copy stops: at the end, or with B-frames on the first clean point after it. */
function copyEnd(scope: ClipScope, endPackets: VideoPacket[] | undefined): Omit<CopySpan, 'fromSeconds'> {
  const { endSeconds, halfFrameSeconds, sourceSeconds } = scope;
  const toSourceEnd = { untilSeconds: undefined, untilDecodeSeconds: undefined };
  if (scope.toSourceEnd) return toSourceEnd;
  const atEnd = { untilSeconds: endSeconds, untilDecodeSeconds: endSeconds };
  if ((scope.video?.reorderDelay ?? 0) === 0) return atEnd;
  // scopeClip names the window after the end exactly when this point is reached.
  if (!endPackets) throw new Error('a B-frame stream copy needs the packets after the end');
  // With B-frames, pictures before the end can depend on pictures after it: end on the next clean point, where none do.
  const next = cleanPoints(endPackets).find((point) => point.untilSeconds >= endSeconds - halfFrameSeconds);
  if (next) return next;
  // None follows in the packets read: the source ends soon after, or its pictures reorder far (then a few end late).
  const nearSourceEnd = sourceSeconds !== undefined && endSeconds + END_SEARCH_SECONDS >= sourceSeconds;
  return nearSourceEnd ? toSourceEnd : atEnd;
}
