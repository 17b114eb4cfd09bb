import { describe, expect, it } from 'vitest';
import { FilterSyntaxError, matchesFilter, parseFilter, sameLanguage, TrackProperties } from './usp-filter.js';

const SEED_FILTER = '(type=="audio"&&systemLanguage=="eng")||(type=="video"&&DisplayWidth==1024&&DisplayHeight==576)';

const tracks: Record<string, TrackProperties> = {
  video1024: {
    type: 'video',
    DisplayWidth: 1024,
    DisplayHeight: 576,
    systemBitrate: 2_000_000,
    FourCC: 'avc1',
    trackID: 1,
  },
  video640: {
    type: 'video',
    DisplayWidth: 640,
    DisplayHeight: 360,
    systemBitrate: 800_000,
    FourCC: 'avc1',
    trackID: 2,
  },
  audioEn: { type: 'audio', systemLanguage: 'en', channels: 2, SamplingRate: 48000, FourCC: 'mp4a', trackID: 3 },
  audioFr: { type: 'audio', systemLanguage: 'fra', channels: 2, SamplingRate: 48000, FourCC: 'mp4a', trackID: 4 },
};

function selected(filter: string): string[] {
  const expression = parseFilter(filter);
  return Object.entries(tracks)
    .filter(([, track]) => matchesFilter(expression, track))
    .map(([name]) => name);
}

describe('parseFilter', () => {
  it("selects exactly the seed example's video and English audio", () => {
    expect(selected(SEED_FILTER)).toEqual(['video1024', 'audioEn']);
  });

  it('binds && tighter than ||', () => {
    expect(parseFilter('type=="audio"||type=="video"&&DisplayWidth==640')).toEqual({
      kind: 'or',
      left: { kind: 'compare', field: 'type', operator: '==', value: 'audio' },
      right: {
        kind: 'and',
        left: { kind: 'compare', field: 'type', operator: '==', value: 'video' },
        right: { kind: 'compare', field: 'DisplayWidth', operator: '==', value: 640 },
      },
    });
    expect(selected('type=="audio"||type=="video"&&DisplayWidth==640')).toEqual(['video640', 'audioEn', 'audioFr']);
  });

  it('compares numbers with every operator, and accepts the value on the left', () => {
    expect(selected('systemBitrate>800000')).toEqual(['video1024']);
    expect(selected('systemBitrate>=800000')).toEqual(['video1024', 'video640']);
    expect(selected('systemBitrate<2000000')).toEqual(['video640']);
    expect(selected('systemBitrate<=2000000')).toEqual(['video1024', 'video640']);
    expect(selected('trackID!=3 && type=="audio"')).toEqual(['audioFr']);
    expect(selected('700 < DisplayWidth')).toEqual(['video1024']);
  });

  it('matches ISO 639-1 and 639-2 language codes against each other', () => {
    expect(selected('systemLanguage=="fre"')).toEqual(['audioFr']);
    expect(selected("systemLanguage=='fr'")).toEqual(['audioFr']);
    expect(selected('systemLanguage=="eng"')).toEqual(['audioEn']);
    expect(sameLanguage('de', 'ger')).toBe(true);
    expect(sameLanguage('deu', 'ger')).toBe(true);
    expect(sameLanguage('en-GB', 'eng')).toBe(true);
    expect(sameLanguage('en', 'fr')).toBe(false);
  });

  it('treats a field the track lacks as unequal to anything', () => {
    expect(selected('systemLanguage!="eng" && type=="video"')).toEqual(['video1024', 'video640']);
    expect(selected('DisplayWidth>0')).toEqual(['video1024', 'video640']);
  });

  it.each([
    ['type=="audio" &&', 'Expected a comparison such as type=="audio" but found the end of the filter at position 17'],
    ['type', 'Expected a comparison operator but found the end of the filter at position 5'],
    ['||type=="video"', 'Expected a comparison such as type=="audio" but found "||" at position 1'],
    ['(type=="audio"', 'Expected ")" but found the end of the filter at position 15'],
    ['type="audio"', 'Unexpected character "=" at position 5'],
    ['colour=="red"', 'Unknown track field "colour"'],
    ['type=="audio', 'Unterminated string at position 7'],
    ['"audio"=="video"', 'A comparison needs a track field and a value, found "audio" at position 1'],
    ['type=="audio" type=="video"', 'Unexpected "type" at position 15'],
  ])('rejects %s with the position of the error', (filter, message) => {
    expect(() => parseFilter(filter)).toThrow(FilterSyntaxError);
    expect(() => parseFilter(filter)).toThrow(message);
  });
});
