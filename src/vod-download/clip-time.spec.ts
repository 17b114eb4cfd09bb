import { describe, expect, it } from 'vitest';
import { ClipTimeError, parseClipTime, resolveClipRange } from './clip-time.js';

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
    });
  });

  it('takes elapsed times as they are, and null for the whole recording', () => {
    expect(resolveClipRange('00:01:00', '00:02:00', recording)).toEqual({ startSeconds: 60, endSeconds: 120 });
    expect(resolveClipRange(null, null, recording)).toEqual({ startSeconds: 0, endSeconds: undefined });
    expect(resolveClipRange(undefined, undefined, { startTime: null, duration: null })).toEqual({
      startSeconds: 0,
      endSeconds: undefined,
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
});
