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

/** True when `raw` is an ISO instant, i.e. placing it needs a clock. */
export function isInstant(raw: string | null | undefined): boolean {
  try {
    return raw != null && parseClipTime(raw).kind === 'instant';
  } catch {
    return false;
  }
}

/** What a clip's times mean relative to its recording, in seconds of media time. */
export interface ClipRange {
  startSeconds: number;
  /** Undefined: to the end of the recording. */
  endSeconds: number | undefined;
}

/**
 * The clock that placed a clip's times: the media's own timestamps, the event's startTime, or
 * none (elapsed times, or the whole event).
 */
export type ClipClock = 'media' | 'event' | 'elapsed';

export interface PlacedClipRange extends ClipRange {
  placedBy: ClipClock;
}

export interface RecordingTimes {
  startTime: Date | null;
  duration: number | null;
  /** Media time 0 by the media's own clock (HLS program date-time, DASH availabilityStartTime): it wins over startTime. */
  mediaStartTime?: Date | null;
  /** How far the media's own timestamps reach from mediaStartTime, in seconds. */
  mediaDuration?: number | null;
}

/**
 * Checks a clip's start and end against each other and the recording, and turns them into
 * media-time offsets. Both null means the whole recording. Instants are placed by the media's own
 * clock when it has one, else by the event's startTime.
 */
export function resolveClipRange(
  start: string | null | undefined,
  end: string | null | undefined,
  recording: RecordingTimes,
): PlacedClipRange {
  if (start == null && end == null) return { startSeconds: 0, endSeconds: undefined, placedBy: 'elapsed' };
  if (start == null || end == null) {
    throw new ClipTimeError('Give both start and end, or neither for the whole event');
  }
  const [from, to] = [parseClipTime(start), parseClipTime(end)];
  if (from.kind === 'instant' && to.kind === 'instant') return placeInstants(from.at, to.at, recording, start, end);
  if (from.kind === 'instant' || to.kind === 'instant') {
    throw new ClipTimeError('start and end must both be instants or both be elapsed times');
  }
  const range = { startSeconds: from.seconds, endSeconds: to.seconds, placedBy: 'elapsed' as const };
  checkOrder(range, start, end);
  if (recording.duration != null && range.endSeconds > recording.duration + 0.001) {
    throw new ClipTimeError(`end ${end} is after the end of the event (${recording.duration} s long)`);
  }
  return range;
}

function placeInstants(from: Date, to: Date, recording: RecordingTimes, start: string, end: string): PlacedClipRange {
  const clock = clockOf(recording);
  const origin = clock.origin.getTime();
  const range = {
    startSeconds: (from.getTime() - origin) / 1000,
    endSeconds: (to.getTime() - origin) / 1000,
    placedBy: clock.placedBy,
  };
  if (range.startSeconds < 0) throw new ClipTimeError(`start ${start} is before ${clock.begins}`);
  checkOrder(range, start, end);
  if (clock.length != null && range.endSeconds > clock.length + 0.001) {
    throw new ClipTimeError(`end ${end} is after ${clock.ends(clock.length)}`);
  }
  return range;
}

interface InstantClock {
  origin: Date;
  /** Seconds from the origin that instants may reach, when known. */
  length: number | null;
  placedBy: ClipClock;
  begins: string;
  ends(length: number): string;
}

function clockOf(recording: RecordingTimes): InstantClock {
  const { mediaStartTime, startTime } = recording;
  if (mediaStartTime) {
    return {
      origin: mediaStartTime,
      length: recording.mediaDuration ?? recording.duration,
      placedBy: 'media',
      begins: `the media's first timestamp (${mediaStartTime.toISOString()})`,
      ends: (length) =>
        `the media's last timestamp (${new Date(mediaStartTime.getTime() + length * 1000).toISOString()})`,
    };
  }
  if (!startTime) {
    throw new ClipTimeError(
      'The event has no startTime and its media no timestamps, so instants cannot be placed in it: use elapsed times (HH:MM:SS)',
    );
  }
  return {
    origin: startTime,
    length: recording.duration,
    placedBy: 'event',
    begins: `the event starts (${startTime.toISOString()})`,
    ends: (length) => `the end of the event (${length} s long)`,
  };
}

function checkOrder(range: ClipRange, start: string, end: string): void {
  if (range.endSeconds! <= range.startSeconds) throw new ClipTimeError(`start ${start} must be before end ${end}`);
}
