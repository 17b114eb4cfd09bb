import { describe, expect, it } from 'vitest';
import {
  concatList,
  copyCutArgs,
  inputArgs,
  keyframeProbeArgs,
  probeArgs,
  reencodeCutArgs,
  stitchCopyArgs,
  stitchNormalisedArgs,
} from './ffmpeg-args.js';

const local = { location: '/media/a.mp4', remote: false };
const remote = { location: 'https://origin.example.com/vod/master.m3u8', remote: true };
const valueAfter = (args: string[], flag: string, nth = 0) => args.filter((_, i) => args[i - 1] === flag)[nth];

describe('ffmpeg arguments', () => {
  it('never lets a remote source open local files, nor a local source the network', () => {
    expect(inputArgs(remote)).toEqual([
      '-protocol_whitelist',
      'http,https,tcp,tls,crypto,httpproxy',
      '-i',
      remote.location,
    ]);
    expect(inputArgs(local, 3.5)).toEqual([
      '-protocol_whitelist',
      'file,crypto',
      '-ss',
      '3.500000',
      '-i',
      local.location,
    ]);
    expect(probeArgs(remote)).toEqual([
      '-v',
      'error',
      '-of',
      'json',
      '-show_format',
      '-show_streams',
      '-show_data_hash',
      'md5',
      '-protocol_whitelist',
      'http,https,tcp,tls,crypto,httpproxy',
      remote.location,
    ]);
  });

  it('reads keyframes in a window, from the beginning when the window starts at 0', () => {
    expect(valueAfter(keyframeProbeArgs(local, 2, 10, 30), '-read_intervals')).toBe('10.000000%30.000000');
    expect(valueAfter(keyframeProbeArgs(local, 2, 0, 30), '-read_intervals')).toBe('%30.000000');
    expect(valueAfter(keyframeProbeArgs(local, 2, 0, 30), '-select_streams')).toBe('2');
  });

  it('copies from the keyframe, without earlier audio, and stops before the first decode time left out', () => {
    const cut = {
      input: local,
      streams: [
        { index: 0, type: 'video' as const },
        { index: 2, type: 'audio' as const },
      ],
      fromSeconds: 2,
      untilDecodeSeconds: 6,
      halfFrameSeconds: 0.05,
      output: '/w/clip-0.ts',
    };
    const args = copyCutArgs(cut);
    expect(valueAfter(args, '-ss')).toBe('1.950000');
    expect(valueAfter(args, '-t')).toBe('4.000000');
    expect(copyCutArgs({ ...cut, untilDecodeSeconds: undefined })).not.toContain('-t');
    expect(copyCutArgs({ ...cut, fromSeconds: 0 })).not.toContain('-ss');
    expect(args.filter((arg) => arg.startsWith('0:'))).toEqual(['0:0', '0:2']);
    expect(args.slice(-11)).toEqual([
      '-c',
      'copy',
      '-copypriorss',
      '0',
      '-f',
      'mpegts',
      '-muxdelay',
      '0',
      '-muxpreload',
      '0',
      '/w/clip-0.ts',
    ]);
    expect(args).not.toContain('libx264');
  });

  it('re-encodes a whole clip when the smart cut cannot apply, keeping audio by copy', () => {
    const options = {
      input: remote,
      streams: [
        { index: 1, type: 'video' as const },
        { index: 4, type: 'audio' as const },
      ],
      startSeconds: 1.25,
      endSeconds: 3,
      encoding: { pixelFormat: undefined },
      output: 'clip.ts',
    };
    const args = reencodeCutArgs(options);
    expect(valueAfter(args, '-t')).toBe('1.750000');
    expect(args).not.toContain('-frames:v');
    expect(valueAfter(reencodeCutArgs({ ...options, frames: 43 }), '-frames:v')).toBe('43');
    expect(valueAfter(args, '-c:v')).toBe('libx264');
    expect(valueAfter(args, '-c:a')).toBe('copy');
  });

  it('writes concat lists with exact durations and quoted paths', () => {
    expect(
      concatList([
        { path: "/w/it's.ts", durationSeconds: 0.7 },
        { path: '/w/b.ts', durationSeconds: 2 },
      ]),
    ).toBe("file '/w/it'\\''s.ts'\nduration 0.700000\nfile '/w/b.ts'\nduration 2.000000\n");
    // An inpoint anchors the file's own time there, not its first packet, at the entry's start.
    expect(concatList([{ path: '/w/a.ts', durationSeconds: 2, inpointSeconds: 0 }])).toBe(
      "file '/w/a.ts'\ninpoint 0.000000\nduration 2.000000\n",
    );
  });

  it('refuses a path with a line break, which would end the concat entry and start a directive of its own', () => {
    expect(() => concatList([{ path: "/w/a.ts'\nfile '/etc/passwd", durationSeconds: 1 }])).toThrow(/line break/);
  });

  it('stitches by copy into a non-fragmented faststart MP4 with the audio languages', () => {
    const args = stitchCopyArgs({
      list: 'clips.txt',
      audioLanguages: ['eng', undefined, 'fra'],
      output: 'out.mp4.part',
    });
    expect(args).toEqual(expect.arrayContaining(['-c', 'copy', '-movflags', '+faststart', '-f', 'mp4']));
    expect(args).toEqual(
      expect.arrayContaining(['-metadata:s:a:0', 'language=eng', '-metadata:s:a:2', 'language=fra']),
    );
    expect(args).not.toContain('-metadata:s:a:1');
    expect(args.join(' ')).not.toContain('frag');
  });

  it('normalises differing clips in one concat filter, filling missing tracks with black and silence', () => {
    const args = stitchNormalisedArgs(
      [
        { path: 'a.ts', durationSeconds: 4, videoCount: 1, audioCount: 0 },
        { path: 'b.ts', durationSeconds: 3, videoCount: 0, audioCount: 1 },
        { path: 'c.ts', durationSeconds: 2, picturesSeconds: 1.9, videoCount: 1, audioCount: 1 },
      ],
      {
        videos: [{ width: 320, height: 180 }],
        audios: [{ sampleRate: 44100, channels: 2, language: 'eng' }],
        frameRate: 10,
      },
      'out.mp4',
    );
    const graph = valueAfter(args, '-filter_complex');
    expect(graph).toContain('[0:v:0]scale=320:180:force_original_aspect_ratio=decrease,pad=320:180');
    expect(graph).toContain('anullsrc=r=44100:cl=stereo,atrim=duration=4.000000,aresample=44100');
    expect(graph).toContain('color=c=black:s=320x180:r=10:d=3.000000,scale=');
    expect(graph).toContain('[1:a:0]aresample=44100');
    // A clip whose pictures' length is known lasts that long: its audio is cut to it.
    expect(graph).toContain('[2:a:0]atrim=duration=1.900000,aresample=44100');
    expect(graph).toContain('[v0_0][a0_0][v1_0][a1_0][v2_0][a2_0]concat=n=3:v=1:a=1[ov0][oa0]');
    expect(args.filter((_, i) => args[i - 1] === '-map')).toEqual(['[ov0]', '[oa0]']);
    expect(args).toEqual(
      expect.arrayContaining(['-c:a', 'aac', '-metadata:s:a:0', 'language=eng', '-movflags', '+faststart']),
    );
  });
});
