import { describe, expect, it } from 'vitest';
import type { ProbedStream } from '../media/probe-result.js';
import { selectStreams } from './stream-selection.js';
import { trackProperties } from './track-properties.js';
import { parseFilter } from './usp-filter.js';

const probed = (stream: Partial<ProbedStream> & Pick<ProbedStream, 'index' | 'type' | 'codec'>): ProbedStream => ({
  reorderDelay: 0,
  ...stream,
});

// What parseProbeOutput makes of an MP4 with two renditions and two languages, plus what HLS adds.
const streams: ProbedStream[] = [
  probed({
    index: 0,
    type: 'video',
    codec: 'h264',
    codecTag: 'avc1',
    containerId: 1,
    width: 1024,
    height: 576,
    displayWidth: 1024,
    bitrate: 1500000,
  }),
  probed({
    index: 1,
    type: 'video',
    codec: 'h264',
    codecTag: '[27][0][0][0]',
    width: 640,
    height: 360,
    displayWidth: 853,
    bitrate: 800000,
  }),
  probed({
    index: 2,
    type: 'audio',
    codec: 'aac',
    profile: 'LC',
    containerId: 3,
    sampleRate: 48000,
    channels: 2,
    language: 'eng',
    bitrate: 128000,
  }),
  probed({
    index: 3,
    type: 'audio',
    codec: 'aac',
    profile: 'HE-AAC',
    title: 'Français',
    sampleRate: 44100,
    channels: 1,
    language: 'fra',
  }),
  probed({ index: 4, type: 'textstream', codec: 'mov_text', language: 'eng' }),
  probed({ index: 5, type: 'other', codec: 'bin_data' }),
];

describe('track properties', () => {
  it('maps each probed stream to the USP filter fields', () => {
    expect(streams.map(trackProperties)).toEqual([
      {
        type: 'video',
        trackID: 1,
        trackName: 'video',
        FourCC: 'AVC1',
        systemBitrate: 1500000,
        DisplayWidth: 1024,
        DisplayHeight: 576,
        MaxWidth: 1024,
        MaxHeight: 576,
      },
      {
        type: 'video',
        trackID: 2,
        trackName: 'video',
        FourCC: 'AVC1',
        systemBitrate: 800000,
        DisplayWidth: 853,
        DisplayHeight: 360,
        MaxWidth: 640,
        MaxHeight: 360,
      },
      {
        type: 'audio',
        trackID: 3,
        trackName: 'audio_eng',
        FourCC: 'AACL',
        systemLanguage: 'eng',
        systemBitrate: 128000,
        channels: 2,
        SamplingRate: 48000,
      },
      {
        type: 'audio',
        trackID: 4,
        trackName: 'Français',
        FourCC: 'AACH',
        systemLanguage: 'fra',
        channels: 1,
        SamplingRate: 44100,
      },
      { type: 'textstream', trackID: 5, trackName: 'textstream_eng', FourCC: 'TX3G', systemLanguage: 'eng' },
      { type: 'data', trackID: 6, trackName: 'other', FourCC: 'BIN_DATA' },
    ]);
  });

  it("takes a codec USP does not name from the container's printable tag", () => {
    expect(trackProperties(probed({ index: 0, type: 'video', codec: 'prores', codecTag: 'apch' })).FourCC).toBe('APCH');
    expect(
      trackProperties(probed({ index: 0, type: 'video', codec: 'rawvideo', codecTag: '[0][0][0][0]' })).FourCC,
    ).toBe('RAWVIDEO');
  });

  it('selects the seed filter: one video of the given size and the English audio (en and eng alike)', () => {
    const filter = parseFilter(
      '(type=="audio"&&systemLanguage=="en")||(type=="video"&&DisplayWidth==1024&&DisplayHeight==576)',
    );
    expect(selectStreams(streams, filter).map((stream) => stream.index)).toEqual([0, 2]);
  });

  it('selects the largest video and every audio without a filter, and nothing for a filter that matches nothing', () => {
    expect(selectStreams(streams, undefined).map((stream) => stream.index)).toEqual([0, 2, 3]);
    expect(selectStreams(streams, parseFilter('type=="video"&&MaxHeight>1000'))).toEqual([]);
    // Text streams cannot go into the MP4.
    expect(selectStreams(streams, parseFilter('type=="textstream"'))).toEqual([]);
  });
});
