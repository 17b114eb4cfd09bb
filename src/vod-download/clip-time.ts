import { InvalidRequestError } from '../common/invalid-request.error.js';

/** A clip boundary: a wall-clock instant, or a time elapsed since the start of the recording. */
export type ClipTime = { kind: 'instant'; at: Date } | { kind: 'elapsed'; seconds: number };

export class ClipTimeError extends InvalidRequestError {}

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/i;
const ELAPSED = /^(\d{1,4}):([0-5]\d):([0-5]\d)(\.\d{1,6})?$/;

export function parseClipTime(raw: string): ClipTime {
  const elapsed = ELAPSED.exec(raw);
  if (elapsed) {
    const [, hours, minutes, seconds, fraction = ''] = elapsed;
    return {
      kind: 'elapsed',
      seconds: Number(hours) * 3600 + Number(minutes) * 60 + Number(seconds) + Number(`0${fraction}`),
    };
  }
  const instant = INSTANT.exec(raw);
  if (instant) {
    const at = new Date(raw);
    const [, , month, day, hour, minute, second = '0'] = instant;
    const valid =
      !Number.isNaN(at.getTime()) &&
      Number(month) >= 1 &&
      Number(month) <= 12 &&
      Number(day) >= 1 &&
      Number(day) <= 31 &&
      Number(hour) <= 23 &&
      Number(minute) <= 59 &&
      Number(second) <= 59;
    if (valid) return { kind: 'instant', at };
  }
  throw new ClipTimeError(
    `"${raw}" is neither an ISO 8601 instant with a time zone (2018-10-10T14:30:31.081Z) nor an elapsed time (HH:MM:SS[.fff])`,
  );
}

/** What a clip's times mean relative to its recording, in seconds of media time. */
export interface ClipRange {
  startSeconds: number;
  /** Undefined: to the end of the recording. */
  endSeconds: number | undefined;
}

export interface RecordingTimes {
  startTime: Date | null;
  duration: number | null;
}

/**
 * Checks a clip's start and end against each other and the recording, and turns them into
 * media-time offsets. Both null means the whole recording.
 */
export function resolveClipRange(
  start: string | null | undefined,
  end: string | null | undefined,
  recording: RecordingTimes,
): ClipRange {
  if (start == null && end == null) return { startSeconds: 0, endSeconds: undefined };
  if (start == null || end == null) {
    throw new ClipTimeError('Give both start and end, or neither for the whole event');
  }
  const [from, to] = [parseClipTime(start), parseClipTime(end)];
  if (from.kind !== to.kind) throw new ClipTimeError('start and end must both be instants or both be elapsed times');
  let range: ClipRange;
  if (from.kind === 'instant' && to.kind === 'instant') {
    if (!recording.startTime) {
      throw new ClipTimeError(
        'The event has no startTime, so instants cannot be placed in it: use elapsed times (HH:MM:SS)',
      );
    }
    const origin = recording.startTime.getTime();
    range = { startSeconds: (from.at.getTime() - origin) / 1000, endSeconds: (to.at.getTime() - origin) / 1000 };
    if (range.startSeconds < 0) {
      throw new ClipTimeError(`start ${start} is before the event starts (${recording.startTime.toISOString()})`);
    }
  } else {
    range = { startSeconds: (from as { seconds: number }).seconds, endSeconds: (to as { seconds: number }).seconds };
  }
  if (range.endSeconds! <= range.startSeconds) throw new ClipTimeError(`start ${start} must be before end ${end}`);
  if (recording.duration != null && range.endSeconds! > recording.duration + 0.001) {
    throw new ClipTimeError(`end ${end} is after the end of the event (${recording.duration} s long)`);
  }
  return range;
}
