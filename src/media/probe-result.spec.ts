import { describe, expect, it } from 'vitest';
import { selectStreams } from '../vod-download/stream-selection.js';
import { parseFilter } from '../vod-download/usp-filter.js';
import { parseProbeOutput } from './probe-result.js';

// Trimmed from real ffprobe output: an MP4 with two renditions and two languages, plus what HLS adds.
const PROBE = JSON.stringify({
  format: { duration: '8.000000', start_time: '1.400000' },
  streams: [
    {
      index: 0,
      codec_type: 'video',
      codec_name: 'h264',
      codec_tag_string: 'avc1',
      width: 1024,
      height: 576,
      sample_aspect_ratio: '1:1',
      pix_fmt: 'yuv420p',
      avg_frame_rate: '25/1',
      has_b_frames: 2,
      bit_rate: '1500000',
      id: '0x1',
      tags: { language: 'und', handler_name: 'VideoHandler' },
    },
    {
      index: 1,
      codec_type: 'video',
      codec_name: 'h264',
      codec_tag_string: '[27][0][0][0]',
      width: 640,
      height: 360,
      sample_aspect_ratio: '4:3',
      avg_frame_rate: '0/0',
      r_frame_rate: '30000/1001',
      tags: { variant_bitrate: '800000' },
    },
    {
      index: 2,
      codec_type: 'audio',
      codec_name: 'aac',
      profile: 'LC',
      sample_rate: '48000',
      channels: 2,
      bit_rate: '128000',
      id: '0x3',
      tags: { language: 'eng' },
    },
    {
      index: 3,
      codec_type: 'audio',
      codec_name: 'aac',
      profile: 'HE-AAC',
      sample_rate: '44100',
      channels: 1,
      tags: { LANGUAGE: 'fra', title: 'Français' },
    },
    { index: 4, codec_type: 'subtitle', codec_name: 'mov_text', tags: { language: 'eng' } },
    { index: 5, codec_type: 'data', codec_name: 'bin_data' },
  ],
});

describe('ffprobe mapping', () => {
  const result = parseProbeOutput(PROBE);

  it('maps each stream to the USP filter fields', () => {
    expect(result.durationSeconds).toBe(8);
    expect(result.startSeconds).toBe(1.4);
    expect(result.streams.map((stream) => stream.track)).toEqual([
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
    expect(result.streams[1].frameRate).toBeCloseTo(29.97, 2);
    expect(result.streams[0]).toMatchObject({
      language: undefined,
      pixelFormat: 'yuv420p',
      frameRate: 25,
      reorderDelay: 2,
    });
    expect(result.streams[1].reorderDelay).toBe(0);
  });

  it('selects the seed filter: one video of the given size and the English audio (en and eng alike)', () => {
    const filter = parseFilter(
      '(type=="audio"&&systemLanguage=="en")||(type=="video"&&DisplayWidth==1024&&DisplayHeight==576)',
    );
    expect(selectStreams(result.streams, filter).map((stream) => stream.index)).toEqual([0, 2]);
  });

  it('selects the largest video and every audio without a filter, and nothing for a filter that matches nothing', () => {
    expect(selectStreams(result.streams, undefined).map((stream) => stream.index)).toEqual([0, 2, 3]);
    expect(selectStreams(result.streams, parseFilter('type=="video"&&MaxHeight>1000'))).toEqual([]);
    // Text streams cannot go into the MP4.
    expect(selectStreams(result.streams, parseFilter('type=="textstream"'))).toEqual([]);
  });
});
