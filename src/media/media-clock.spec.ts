import { describe, expect, it } from 'vitest';
import { dashClockOf, firstMediaPlaylistOf, hlsClockOf, manifestKindOf, parseDuration } from './media-clock.js';

const playlist = (...lines: string[]) => ['#EXTM3U', '#EXT-X-TARGETDURATION:2', ...lines].join('\n');

describe('manifestKindOf', () => {
  it('tells HLS and DASH manifests from media files', () => {
    expect(manifestKindOf('/vod/plenary.m3u8')).toBe('hls');
    expect(manifestKindOf('/vod/plenary.ism/.mpd')).toBe('dash');
    expect(manifestKindOf('/vod/plenary.MPD')).toBe('dash');
    expect(manifestKindOf('/vod/plenary.mp4')).toBeUndefined();
  });
});

describe('firstMediaPlaylistOf', () => {
  it('names the first variant of a master playlist', () => {
    const master = [
      '#EXTM3U',
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="English",URI="eng.m3u8"',
      '#EXT-X-STREAM-INF:BANDWIDTH=150000',
      'hi.m3u8',
      '#EXT-X-STREAM-INF:BANDWIDTH=100000',
      'lo.m3u8',
    ].join('\n');
    expect(firstMediaPlaylistOf(master)).toBe('hi.m3u8');
  });

  it('falls back to a rendition, and says nothing of a media playlist', () => {
    expect(firstMediaPlaylistOf('#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="E",URI="eng.m3u8"\n')).toBe(
      'eng.m3u8',
    );
    expect(firstMediaPlaylistOf(playlist('#EXTINF:2,', 'a.ts', '#EXT-X-ENDLIST'))).toBeUndefined();
  });
});

describe('hlsClockOf', () => {
  it('dates media time 0 by the first program date-time, as ffmpeg writes it', () => {
    const text = playlist(
      '#EXTINF:2.000000,',
      '#EXT-X-PROGRAM-DATE-TIME:2018-10-10T14:00:00.000+0000',
      'a.ts',
      '#EXTINF:2.000000,',
      '#EXT-X-PROGRAM-DATE-TIME:2018-10-10T14:00:02.000+0000',
      'b.ts',
      '#EXTINF:1.5,',
      'c.ts',
      '#EXT-X-ENDLIST',
    );
    expect(hlsClockOf(text)).toEqual({
      kind: 'hls-program-date-time',
      startTime: new Date('2018-10-10T14:00:00.000Z'),
      duration: 5.5,
    });
  });

  it('moves a date-time on a later segment back by the segments before it', () => {
    const text = playlist(
      '#EXTINF:4,',
      'a.ts',
      '#EXTINF:4,',
      'b.ts',
      '#EXT-X-PROGRAM-DATE-TIME:2018-10-10T16:00:08.500+02:00',
      '#EXTINF:4,',
      'c.ts',
      '#EXT-X-ENDLIST',
    );
    expect(hlsClockOf(text)).toMatchObject({ startTime: new Date('2018-10-10T14:00:00.500Z'), duration: 12 });
  });

  it.each([
    ['no date-time', playlist('#EXTINF:2,', 'a.ts', '#EXT-X-ENDLIST')],
    [
      'a date-time without a zone',
      playlist('#EXT-X-PROGRAM-DATE-TIME:2018-10-10T14:00:00', '#EXTINF:2,', 'a.ts', '#EXT-X-ENDLIST'),
    ],
    ['a playlist still growing', playlist('#EXT-X-PROGRAM-DATE-TIME:2018-10-10T14:00:00Z', '#EXTINF:2,', 'a.ts')],
  ])('finds no clock in %s', (_, text) => {
    expect(hlsClockOf(text)).toBeUndefined();
  });
});

const mpd = (attributes: string, period: string) =>
  `<?xml version="1.0"?><MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" ${attributes}>${period}</MPD>`;

describe('dashClockOf', () => {
  it('adds the period start and the first segment after presentationTimeOffset (Unified Streaming archive)', () => {
    const text = mpd(
      'availabilityStartTime="1970-01-01T00:00:00Z" mediaPresentationDuration="PT2H"',
      `<Period id="1" start="PT1539180000S">
        <AdaptationSet contentType="audio"><SegmentTemplate timescale="48000" presentationTimeOffset="0"/></AdaptationSet>
        <AdaptationSet contentType="video">
          <SegmentTemplate timescale="10000000" presentationTimeOffset="10000000">
            <SegmentTimeline><S t="20000000" d="20000000" r="2"/><S d="10000000"/></SegmentTimeline>
          </SegmentTemplate>
        </AdaptationSet>
      </Period>`,
    );
    expect(dashClockOf(text)).toEqual({
      kind: 'dash-availability-start-time',
      startTime: new Date('2018-10-10T14:00:01.000Z'),
      duration: 7,
    });
  });

  it('takes the presentation duration when there is no timeline', () => {
    const text = mpd(
      'availabilityStartTime="2018-10-10T14:00:00Z" mediaPresentationDuration="PT1H30M"',
      `<Period start="PT30S"><AdaptationSet mimeType="video/mp4">
        <SegmentTemplate timescale="90000" duration="180000" presentationTimeOffset="900000"/>
      </AdaptationSet></Period>`,
    );
    expect(dashClockOf(text)).toEqual({
      kind: 'dash-availability-start-time',
      startTime: new Date('2018-10-10T14:00:30.000Z'),
      duration: 5400,
    });
  });

  it.each([
    ['an MPD without availabilityStartTime', mpd('mediaPresentationDuration="PT6S"', '<Period start="PT0S"/>')],
    ['text that is not an MPD', '<html><body>Not found</body></html>'],
    ['malformed XML', '<MPD availabilityStartTime="2018-10-10T14:00:00Z"'],
    ['a DOCTYPE', '<!DOCTYPE MPD [<!ENTITY x "y">]><MPD availabilityStartTime="2018-10-10T14:00:00Z"/>'],
  ])('finds no clock in %s', (_, text) => {
    expect(dashClockOf(text)).toBeUndefined();
  });
});

describe('parseDuration', () => {
  it.each([
    ['PT6.0S', 6],
    ['PT1H2M3.5S', 3723.5],
    ['P1DT1S', 86401],
    ['PT0S', 0],
  ])('reads %s', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each(['', 'P', 'PT', '6S', 'PT-1S'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});
