import type { EncoderOptions, SmartCodec } from './nal-units.js';

/**
 * The encoder settings that re-encode a piece of a source so that it joins the source's copied
 * pictures: the same parameter sets (a player reading only the MP4's `avcC`/`hvcC` decodes both
 * with them) and the same reorder delay (so decode times stay regular across the join). They are
 * read back from the option string x264 or x265 wrote into the source, all but the analysis, which
 * is made as fast as the encoder allows; whether they really match is checked on the result
 * (sameParameterSets), never assumed.
 */

export interface SourceEncoding {
  codec: SmartCodec;
  encoder: EncoderOptions;
  /** The source's parameter sets, in stream order. */
  parameterSets: Buffer[];
  pixelFormat: string | undefined;
}

/** ffmpeg's output arguments for the matching encoder, or undefined when the source's options cannot be reproduced. */
export function matchingEncoderArgs(source: SourceEncoding): string[] | undefined {
  const { encoder } = source.encoder;
  if (source.codec === 'h264' && encoder === 'x264') return x264Args(source);
  if (source.codec === 'hevc' && encoder === 'x265') return x265Args(source);
  return undefined;
}

/** x264 options printed under one name and parsed, with the same value, under another (or the same). */
const X264_RENAMED: Record<string, string> = {
  cabac: 'cabac',
  ref: 'ref',
  me: 'me',
  subme: 'subme',
  psy: 'psy',
  mixed_ref: 'mixed-refs',
  me_range: 'merange',
  chroma_me: 'chroma-me',
  trellis: 'trellis',
  '8x8dct': '8x8dct',
  fast_pskip: 'fast-pskip',
  nr: 'nr',
  sliced_threads: 'sliced-threads',
  slices: 'slices',
  bluray_compat: 'bluray-compat',
  constrained_intra: 'constrained-intra',
  bframes: 'bframes',
  b_pyramid: 'b-pyramid',
  b_adapt: 'b-adapt',
  b_bias: 'b-bias',
  weightb: 'weightb',
  open_gop: 'open-gop',
  weightp: 'weightp',
  keyint: 'keyint',
  keyint_min: 'min-keyint',
  scenecut: 'scenecut',
  intra_refresh: 'intra-refresh',
  rc_lookahead: 'rc-lookahead',
  mbtree: 'mbtree',
  qcomp: 'qcomp',
  qpmin: 'qpmin',
  qpmax: 'qpmax',
  qpstep: 'qpstep',
  ip_ratio: 'ipratio',
  pb_ratio: 'pbratio',
  vbv_maxrate: 'vbv-maxrate',
  vbv_bufsize: 'vbv-bufsize',
  nal_hrd: 'nal-hrd',
};

const DIRECT_MODES = ['none', 'spatial', 'temporal', 'auto'];
/** x264's inter analyse flags (the second of `analyse=intra:inter`) by partition name. */
const INTER_PARTITIONS: [string, number][] = [
  ['i4x4', 0x1],
  ['i8x8', 0x2],
  ['p8x8', 0x10],
  ['p4x4', 0x20],
  ['b8x8', 0x100],
];
const H264_PROFILES: Record<number, string> = {
  66: 'baseline',
  77: 'main',
  100: 'high',
  110: 'high10',
  122: 'high422',
  244: 'high444',
};

/**
 * The pieces are a second or two each and are all the smart cut encodes: x264 analyses them as fast
 * as it can, since none of these settings reaches the parameter sets (checked on every piece). At
 * the source's rate control they come out a little larger, not worse. With psy off, x264 also takes
 * the chroma QP offset it printed as given, unadjusted for psy-RD and psy-trellis.
 * Measured on a 41-picture 720p head (ffmpeg 5.1, x264 0.164): 1.96 s of CPU → 1.00 s from an x264
 * `medium` source, 0.95 s → 0.55 s from `veryfast`. Full-pel motion search (subme 0) and a fixed
 * B-frame pattern (b-adapt 0) then took a 41-picture 1080p head from `veryfast` from 1.76 s to
 * 1.24 s (medians of 5, decoding included), 2 % larger.
 */
const X264_FAST_ANALYSIS: Record<string, string> = {
  me: 'dia',
  subme: '0',
  psy: '0',
  trellis: '0',
  'mixed-refs': '0',
  'rc-lookahead': '0',
  mbtree: '0',
  'b-adapt': '0',
};

function x264Args(source: SourceEncoding): string[] | undefined {
  const options = source.encoder.options;
  const get = (name: string) => options.get(name);
  if ((get('interlaced') ?? '0') !== '0') return undefined;
  const params = new Map<string, string>();
  for (const [printed, parsed] of Object.entries(X264_RENAMED)) {
    const value = get(printed);
    if (value !== undefined && value !== '') params.set(parsed, value);
  }
  const [deblockOn, alpha, beta] = (get('deblock') ?? '1:0:0').split(':');
  if (deblockOn === '0') params.set('no-deblock', '1');
  else params.set('deblock', `${alpha ?? 0},${beta ?? 0}`);
  const [inter, intra] = (get('deadzone') ?? '21,11').split(',');
  params.set('deadzone-inter', inter).set('deadzone-intra', intra);
  if (get('decimate') === '0') params.set('no-dct-decimate', '1');
  const direct = DIRECT_MODES[Number(get('direct') ?? 1)];
  if (direct) params.set('direct', direct);
  const analyse = get('analyse');
  if (analyse) {
    const interFlags = parseInt(analyse.split(':')[1] ?? '0', 16);
    const names = INTER_PARTITIONS.filter(([, bit]) => interFlags & bit).map(([name]) => name);
    params.set('partitions', names.length > 0 ? names.join(',') : 'none');
  }
  const aq = get('aq')?.split(':');
  if (aq) {
    params.set('aq-mode', aq[0]);
    if (aq[1]) params.set('aq-strength', aq[1]);
  }
  const chromaOffset = get('chroma_qp_offset');
  if (chromaOffset !== undefined) params.set('chroma-qp-offset', chromaOffset);
  for (const [name, value] of Object.entries(X264_FAST_ANALYSIS)) params.set(name, value);
  const rate = x264RateControl(options);
  if (!rate) return undefined;
  params.set(...rate);

  const sps = source.parameterSets.find((set) => (set[0] & 0x1f) === 7);
  const profile = sps ? H264_PROFILES[sps[1]] : undefined;
  return [
    '-c:v',
    'libx264',
    ...(profile ? ['-profile:v', profile] : []),
    ...(sps ? ['-level:v', String(sps[3])] : []),
    '-x264-params',
    [...params].map(([name, value]) => `${name}=${value}`).join(':'),
    ...(source.pixelFormat ? ['-pix_fmt', source.pixelFormat] : []),
  ];
}

/** The rate control x264 ran: its quantiser or quality sets the PPS's pic_init_qp. */
function x264RateControl(options: Map<string, string>): [string, string] | undefined {
  const mode = options.get('rc');
  if (mode === 'crf' && options.has('crf')) return ['crf', options.get('crf')!];
  if (mode === 'cqp' && options.has('qp')) return ['qp', options.get('qp')!];
  if ((mode === 'abr' || mode === 'cbr') && options.has('bitrate')) return ['bitrate', options.get('bitrate')!];
  return undefined;
}

/** x265 options that describe the run (threads, logging, input, analysis files) rather than the bitstream. */
const X265_SKIPPED = new Set([
  'cpuid',
  'frame-threads',
  'numa-pools',
  'pmode',
  'pme',
  'psnr',
  'ssim',
  'log-level',
  'bitdepth',
  'input-csp',
  'fps',
  'input-res',
  'interlace',
  'total-frames',
  'annexb',
  'repeat-headers',
  'aud',
  'rc',
  'stats-write',
  'stats-read',
  'zone-count',
  'copy-pic',
  'svt',
  'field',
  'right',
  'bottom',
  'conformance-window-offsets',
  'decoder-max-rate',
  'vbv-live-multi-pass',
  // Given, these switch on VUI fields that x265 prints even when it leaves them out.
  'chromaloc',
  'videoformat',
  'range',
  'colorprim',
  'transfer',
  'colormatrix',
  'sar',
  'overscan',
  'display-window',
]);

/**
 * As X264_FAST_ANALYSIS, for x265. Adaptive quantisation stays the source's: it switches on the
 * PPS's cu_qp_delta. Measured on a 41-picture 720p head from an x265 `medium` source (ffmpeg 5.1,
 * x265 3.5): about 3.8 s of CPU → 2.5 s (medians of 3).
 */
const X265_FAST_ANALYSIS: Record<string, string> = {
  me: 'dia',
  subme: '0',
  merange: '16',
  rd: '1',
  'b-adapt': '0',
  'psy-rd': '0',
  'psy-rdoq': '0',
  'early-skip': '1',
  'fast-intra': '1',
  'b-intra': '0',
  'limit-refs': '3',
};

function x265Args(source: SourceEncoding): string[] | undefined {
  const options = source.encoder.options;
  if ((options.get('interlace') ?? '0') !== '0') return undefined;
  // x265 wants more pictures of lookahead than B-frames in a row.
  const fast = { ...X265_FAST_ANALYSIS, 'rc-lookahead': String(Number(options.get('bframes') ?? 4) + 1) };
  const params = ['log-level=error'];
  for (const [name, value] of options) {
    const bare = name.startsWith('no-') ? name.slice(3) : name;
    // Skips the analysis-reuse and refine options too, and a name glued to the next by x265's printing.
    if (
      X265_SKIPPED.has(bare) ||
      bare in fast ||
      /^(analysis|refine|scale-factor|ctu-info|max-ausize|scenecut-aware)/.test(bare)
    ) {
      continue;
    }
    params.push(value === '' ? `${name}=1` : `${name}=${value.replace(/:/g, ',')}`);
  }
  params.push(...Object.entries(fast).map(([name, value]) => `${name}=${value}`));
  return [
    '-c:v',
    'libx265',
    '-x265-params',
    params.join(':'),
    // ffmpeg would otherwise signal the decoder's default (left), which x265 sources leave out.
    '-chroma_sample_location',
    'unspecified',
    ...(source.pixelFormat ? ['-pix_fmt', source.pixelFormat] : []),
  ];
}
