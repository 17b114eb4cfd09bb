import { describe, expect, it } from 'vitest';
import { matchingEncoderArgs, SourceEncoding } from './matching-encoder.js';

// As x264 0.164 writes them for `-preset veryfast` and `-preset medium` (abridged: threads and the like are left out).
const VERYFAST =
  'cabac=1 ref=1 deblock=1:0:0 analyse=0x3:0x113 me=hex subme=2 psy=1 psy_rd=1.00:0.00 mixed_ref=0 me_range=16 ' +
  'chroma_me=1 trellis=0 8x8dct=1 cqm=0 deadzone=21,11 fast_pskip=1 chroma_qp_offset=0 threads=3 decimate=1 ' +
  'interlaced=0 bframes=3 b_pyramid=2 b_adapt=1 b_bias=0 direct=1 weightb=1 open_gop=0 weightp=1 keyint=50 ' +
  'keyint_min=26 scenecut=0 rc_lookahead=10 rc=crf mbtree=1 crf=23.0 qcomp=0.60 qpmin=0 qpmax=69 qpstep=4 ip_ratio=1.40 aq=1:1.00';
const MEDIUM_CHANGES = 'ref=3 subme=7 trellis=1 chroma_qp_offset=-2 analyse=0x3:0x113 psy_rd=1.00:0.00';
const options = (line: string) =>
  new Map(line.split(' ').map((item) => [item.split('=')[0], item.slice(item.indexOf('=') + 1)] as [string, string]));
const HIGH_LEVEL_31 = Buffer.from([0x67, 0x64, 0x00, 0x1f]);
const x264 = (line: string): SourceEncoding => ({
  codec: 'h264',
  encoder: { encoder: 'x264', options: options(line) },
  parameterSets: [HIGH_LEVEL_31, Buffer.from([0x68, 0xeb])],
  pixelFormat: 'yuv420p',
});
const params = (args: string[] | undefined) =>
  args![args!.indexOf(args!.find((a) => a.endsWith('-params'))!) + 1].split(':');

describe(matchingEncoderArgs.name, () => {
  it("rebuilds x264's settings under the names x264 parses, with the SPS's profile and level", () => {
    const args = matchingEncoderArgs(x264(VERYFAST))!;
    expect(args.slice(0, 6)).toEqual(['-c:v', 'libx264', '-profile:v', 'high', '-level:v', '31']);
    expect(args.slice(-2)).toEqual(['-pix_fmt', 'yuv420p']);
    expect(params(args)).toEqual(
      expect.arrayContaining([
        'bframes=3',
        'b-pyramid=2',
        'keyint=50',
        'min-keyint=26',
        'open-gop=0',
        'weightp=1',
        'deblock=0,0',
        'deadzone-inter=21',
        'deadzone-intra=11',
        'direct=spatial',
        'partitions=i4x4,i8x8,p8x8,b8x8',
        'aq-mode=1',
        'aq-strength=1.00',
        'crf=23.0',
        'chroma-qp-offset=0',
      ]),
    );
    expect(params(args).some((param) => param.startsWith('threads') || param.startsWith('rc='))).toBe(false);
  });

  it('analyses as fast as x264 can, with psy off, so that the chroma QP offset it printed is the one to give', () => {
    const medium = params(matchingEncoderArgs(x264(`${VERYFAST} ${MEDIUM_CHANGES}`)));
    expect(medium).toEqual(
      expect.arrayContaining(['me=dia', 'subme=0', 'psy=0', 'trellis=0', 'rc-lookahead=0', 'mbtree=0']),
    );
    // The source's settings that reach the parameter sets stay.
    expect(medium).toEqual(expect.arrayContaining(['ref=3', 'chroma-qp-offset=-2', '8x8dct=1', 'weightp=1']));
    // One value per setting: the source's analysis settings are replaced, not followed by a second.
    expect(medium.filter((param) => param.startsWith('subme='))).toEqual(['subme=0']);
    expect(new Set(medium.map((param) => param.split('=')[0])).size).toBe(medium.length);
  });

  it("keeps x264's rate control (it sets pic_init_qp), and refuses what it cannot rebuild", () => {
    expect(params(matchingEncoderArgs(x264(VERYFAST.replace('rc=crf', 'rc=cqp') + ' qp=20')))).toContain('qp=20');
    expect(params(matchingEncoderArgs(x264(VERYFAST.replace('rc=crf', 'rc=abr') + ' bitrate=3000')))).toContain(
      'bitrate=3000',
    );
    expect(matchingEncoderArgs(x264(VERYFAST.replace('rc=crf', 'rc=2pass')))).toBeUndefined();
    expect(matchingEncoderArgs(x264(VERYFAST.replace('interlaced=0', 'interlaced=tff')))).toBeUndefined();
    expect(matchingEncoderArgs({ ...x264(VERYFAST), codec: 'hevc' })).toBeUndefined();
  });

  it("passes x265's options on, flags as =1, leaving out the run's own and the VUI fields it prints regardless", () => {
    const line =
      'cpuid=1111039 frame-threads=1 wpp no-pmode log-level=0 input-res=320x180 open-gop keyint=50 bframes=3 ' +
      'deblock=0:0 no-sao colorprim=2 chromaloc=0 display-window=0 crf=28.0 rc=crf';
    const args = matchingEncoderArgs({
      codec: 'hevc',
      encoder: { encoder: 'x265', options: options(line.replace(/ (wpp|no-pmode|open-gop|no-sao)/g, ' $1=')) },
      parameterSets: [],
      pixelFormat: undefined,
    })!;
    expect(params(args)).toEqual([
      'log-level=error',
      'wpp=1',
      'open-gop=1',
      'keyint=50',
      'bframes=3',
      'deblock=0,0',
      'no-sao=1',
      'crf=28.0',
      'me=dia',
      'subme=0',
      'merange=16',
      'rd=1',
      'b-adapt=0',
      'psy-rd=0',
      'psy-rdoq=0',
      'early-skip=1',
      'fast-intra=1',
      'b-intra=0',
      'limit-refs=3',
      // More than its B-frames in a row.
      'rc-lookahead=4',
    ]);
    expect(args).toEqual(expect.arrayContaining(['-c:v', 'libx265', '-chroma_sample_location', 'unspecified']));
  });
});
