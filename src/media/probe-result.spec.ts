import { describe, expect, it } from 'vitest';
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
      nb_frames: '200',
      extradata_hash: 'MD5:2012e45d501d9f0ba2f8e099c08d01f3',
      color_range: 'tv',
      color_space: 'bt709',
      color_transfer: 'bt709',
      color_primaries: 'bt709',
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

describe('ffprobe output', () => {
  const result = parseProbeOutput(PROBE);

  it('reads the format and what each stream is', () => {
    expect(result.durationSeconds).toBe(8);
    expect(result.startSeconds).toBe(1.4);
    expect(result.streams).toEqual([
      {
        index: 0,
        type: 'video',
        codec: 'h264',
        codecTag: 'avc1',
        containerId: 1,
        width: 1024,
        height: 576,
        displayWidth: 1024,
        pixelFormat: 'yuv420p',
        frameRate: 25,
        reorderDelay: 2,
        bitrate: 1500000,
        frameCount: 200,
        extradataHash: 'MD5:2012e45d501d9f0ba2f8e099c08d01f3',
        colour: 'tv bt709 bt709 bt709',
      },
      {
        index: 1,
        type: 'video',
        codec: 'h264',
        codecTag: '[27][0][0][0]',
        width: 640,
        height: 360,
        // 640 pixels of 4:3 shape are shown 853 wide.
        displayWidth: 853,
        frameRate: 30000 / 1001,
        reorderDelay: 0,
        bitrate: 800000,
        colour: 'unknown unknown unknown unknown',
      },
      {
        index: 2,
        type: 'audio',
        codec: 'aac',
        profile: 'LC',
        containerId: 3,
        reorderDelay: 0,
        sampleRate: 48000,
        channels: 2,
        language: 'eng',
        bitrate: 128000,
      },
      {
        index: 3,
        type: 'audio',
        codec: 'aac',
        profile: 'HE-AAC',
        title: 'Français',
        reorderDelay: 0,
        sampleRate: 44100,
        channels: 1,
        language: 'fra',
      },
      { index: 4, type: 'textstream', codec: 'mov_text', reorderDelay: 0, language: 'eng' },
      { index: 5, type: 'other', codec: 'bin_data', reorderDelay: 0 },
    ]);
  });
});
