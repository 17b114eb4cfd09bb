import { describe, expect, it } from 'vitest';
import { ClipTimeError, isInstant, parseClipTime, resolveClipRange } from './clip-time.js';

const recording = { startTime: new Date('2018-10-10T14:00:00.000Z'), duration: 7200 };

describe('parseClipTime', () => {
  it('reads ISO 8601 instants with a zone', () => {
    expect(parseClipTime('2018-10-10T14:30:31.081Z')).toEqual({
      kind: 'instant',
      at: new Date('2018-10-10T14:30:31.081Z'),
    });
    expect(parseClipTime('2018-10-10T16:30:31+02:00')).toEqual({
      kind: 'instant',
      at: new Date('2018-10-10T14:30:31Z'),
    });
  });

  it('reads elapsed times', () => {
    expect(parseClipTime('00:00:00')).toEqual({ kind: 'elapsed', seconds: 0 });
    expect(parseClipTime('01:02:03.5')).toEqual({ kind: 'elapsed', seconds: 3723.5 });
  });

  it.each([
    '2018-10-10T14:30:31',
    '2018-13-10T14:30:31Z',
    '2018-10-10T25:00:00Z',
    '1:2:3',
    '00:61:00',
    'yesterday',
    '',
  ])('rejects %j', (raw) => {
    expect(() => parseClipTime(raw)).toThrow(ClipTimeError);
  });
});

describe('resolveClipRange', () => {
  it('places instants relative to the start of the recording', () => {
    expect(resolveClipRange('2018-10-10T14:30:00Z', '2018-10-10T15:00:00.500Z', recording)).toEqual({
      startSeconds: 1800,
      endSeconds: 3600.5,
      placedBy: 'event',
    });
  });

  it('takes elapsed times as they are, and null for the whole recording', () => {
    expect(resolveClipRange('00:01:00', '00:02:00', recording)).toEqual({
      startSeconds: 60,
      endSeconds: 120,
      placedBy: 'elapsed',
    });
    expect(resolveClipRange(null, null, recording)).toEqual({
      startSeconds: 0,
      endSeconds: undefined,
      placedBy: 'elapsed',
    });
    expect(resolveClipRange(undefined, undefined, { startTime: null, duration: null })).toEqual({
      startSeconds: 0,
      endSeconds: undefined,
      placedBy: 'elapsed',
    });
  });

  it.each([
    ['00:02:00', '00:01:00', 'must be before end'],
    ['00:01:00', '00:01:00', 'must be before end'],
    ['00:01:00', null, 'Give both start and end'],
    ['00:01:00', '2018-10-10T15:00:00Z', 'both be instants or both be elapsed'],
    ['2018-10-10T13:59:00Z', '2018-10-10T14:10:00Z', 'before the event starts'],
    ['2018-10-10T15:00:00Z', '2018-10-10T16:00:01Z', 'after the end of the event'],
    ['01:00:00', '02:00:01', 'after the end of the event'],
  ])('rejects start %j and end %j', (start, end, message) => {
    expect(() => resolveClipRange(start, end, recording)).toThrow(message);
  });

  it('refuses instants in a recording without a start time', () => {
    expect(() =>
      resolveClipRange('2018-10-10T14:30:00Z', '2018-10-10T15:00:00Z', { startTime: null, duration: null }),
    ).toThrow('use elapsed times');
  });

  describe("with the media's own clock", () => {
    // The media's timestamps start 2 s before the event's registered startTime, and span 100 s.
    const timestamped = { ...recording, mediaStartTime: new Date('2018-10-10T13:59:58.000Z'), mediaDuration: 100 };

    it("places instants by the media's clock rather than the event's startTime", () => {
      expect(resolveClipRange('2018-10-10T14:00:00Z', '2018-10-10T14:01:00.500Z', timestamped)).toEqual({
        startSeconds: 2,
        endSeconds: 62.5,
        placedBy: 'media',
      });
    });

    it('places instants in media without an event startTime, and leaves elapsed times as they are', () => {
      const untimed = { startTime: null, duration: null, mediaStartTime: timestamped.mediaStartTime };
      expect(resolveClipRange('2018-10-10T13:59:58Z', '2018-10-10T14:30:00Z', untimed)).toMatchObject({
        startSeconds: 0,
        endSeconds: 1802,
        placedBy: 'media',
      });
      expect(resolveClipRange('00:00:10', '00:00:20', timestamped)).toMatchObject({
        startSeconds: 10,
        placedBy: 'elapsed',
      });
    });

    it.each([
      [
        '2018-10-10T13:59:57.999Z',
        '2018-10-10T14:00:10Z',
        "before the media's first timestamp (2018-10-10T13:59:58.000Z)",
      ],
      [
        '2018-10-10T14:00:00Z',
        '2018-10-10T14:01:38.100Z',
        "after the media's last timestamp (2018-10-10T14:01:38.000Z)",
      ],
    ])('rejects start %j and end %j outside its range', (start, end, message) => {
      expect(() => resolveClipRange(start, end, timestamped)).toThrow(message);
    });

    it("falls back to the event's duration for the end when the media does not say how long it is", () => {
      const open = { ...timestamped, mediaDuration: null, duration: 10 };
      expect(() => resolveClipRange('2018-10-10T14:00:00Z', '2018-10-10T14:00:08.1Z', open)).toThrow('last timestamp');
      expect(resolveClipRange('2018-10-10T14:00:00Z', '2018-10-10T14:00:08Z', open).endSeconds).toBe(10);
    });
  });
});

describe('isInstant', () => {
  it.each([
    ['2018-10-10T14:30:31.081Z', true],
    ['00:01:00', false],
    ['yesterday', false],
    [null, false],
  ])('%j: %s', (raw, expected) => {
    expect(isInstant(raw)).toBe(expected);
  });
});
