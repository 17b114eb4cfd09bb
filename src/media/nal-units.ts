/**
 * What a smart cut needs to know from an H.264 or HEVC bitstream, read without a decoder: its NAL
 * units (Annex B, as `ffmpeg -c copy -f h264|hevc` writes them), its parameter sets, and the
 * option string x264 and x265 leave in an SEI of the first picture.
 */

export type SmartCodec = 'h264' | 'hevc';

/** The NAL units of an Annex B stream, start codes removed. */
export function splitNalUnits(stream: Buffer): Buffer[] {
  const starts: { at: number; length: number }[] = [];
  for (let i = 0; i + 2 < stream.length; i++) {
    if (stream[i] === 0 && stream[i + 1] === 0 && stream[i + 2] === 1) {
      const four = i > 0 && stream[i - 1] === 0;
      starts.push({ at: four ? i - 1 : i, length: four ? 4 : 3 });
      i += 2;
    }
  }
  return starts.map(({ at, length }, n) => {
    const end = n + 1 < starts.length ? starts[n + 1].at : stream.length;
    // A trailing zero byte before the next start code belongs to no NAL unit.
    let last = end;
    while (last > at + length && stream[last - 1] === 0) last--;
    return stream.subarray(at + length, last);
  });
}

export function nalType(codec: SmartCodec, nal: Buffer): number {
  return codec === 'h264' ? nal[0] & 0x1f : (nal[0] >> 1) & 0x3f;
}

/** VPS, SPS, PPS (HEVC) and SPS, PPS (H.264) by NAL type. */
const PARAMETER_SET_TYPES: Record<SmartCodec, number[]> = { h264: [7, 8], hevc: [32, 33, 34] };

/** The parameter sets among the NAL units, each once, in stream order. */
export function parameterSets(codec: SmartCodec, nals: Buffer[]): Buffer[] {
  const sets: Buffer[] = [];
  for (const nal of nals) {
    if (PARAMETER_SET_TYPES[codec].includes(nalType(codec, nal)) && !sets.some((set) => set.equals(nal))) {
      sets.push(nal);
    }
  }
  return sets;
}

/** True when both streams carry the same parameter sets, byte for byte (a decoder reading only one set then decodes both). */
export function sameParameterSets(a: Buffer[], b: Buffer[]): boolean {
  return a.length > 0 && a.length === b.length && a.every((set, n) => set.equals(b[n]));
}

export interface EncoderOptions {
  encoder: 'x264' | 'x265';
  /** The options as the encoder printed them: `name=value`, or a bare name for a flag (x265's `no-x` for off). */
  options: Map<string, string>;
}

/** The x264 or x265 options written into an SEI of the stream's first picture; undefined from any other encoder. */
export function encoderOptions(stream: Buffer): EncoderOptions | undefined {
  const text = stream.toString('latin1');
  const encoder = text.includes('x264 - core') ? 'x264' : text.includes('x265 (build') ? 'x265' : undefined;
  const marker = text.indexOf('options: ');
  if (!encoder || marker === -1) return undefined;
  // The string ends at its NUL terminator (or the SEI's trailing bits).
  const end = text.slice(marker).search(/[\x00-\x1f\x80-\xff]/);
  const list = text.slice(marker + 'options: '.length, end === -1 ? undefined : marker + end);
  const options = new Map<string, string>();
  for (const item of list.split(' ').filter((item) => item !== '')) {
    const equals = item.indexOf('=');
    options.set(equals === -1 ? item : item.slice(0, equals), equals === -1 ? '' : item.slice(equals + 1));
  }
  return { encoder, options };
}

/** profile_idc and level_idc of an H.264 SPS (its first bytes after the NAL header). */
export function h264ProfileAndLevel(sps: Buffer): { profileIdc: number; levelIdc: number } {
  return { profileIdc: sps[1], levelIdc: sps[3] };
}

const HEVC_CRA = 21;
const HEVC_BLA_W_LP = 16;
/** How far into a file the first picture's NAL header is looked for (its parameter sets come first). */
export const FIRST_PICTURE_SEARCH_BYTES = 64 * 1024;

/**
 * Turns the first HEVC CRA picture in these bytes (an MPEG-TS or Annex B file's start) into a BLA
 * picture, in place; false when there is none before another picture. A CRA after spliced-in
 * pictures would take its picture order count from theirs and clash with them (x265 counts each
 * GOP on); a BLA starts the count afresh and lets the pictures before it out first. Its slice
 * header is the same, so only the NAL type changes.
 */
export function craToBla(bytes: Buffer): boolean {
  for (let i = 0; i + 4 < bytes.length; i++) {
    if (bytes[i] !== 0 || bytes[i + 1] !== 0 || bytes[i + 2] !== 1) continue;
    const type = (bytes[i + 3] >> 1) & 0x3f;
    // Parameter sets, SEI and delimiters (32 and up) come before the picture; the first slice decides.
    if (type >= 32) continue;
    if (type !== HEVC_CRA) return false;
    bytes[i + 3] = (bytes[i + 3] & 0x81) | (HEVC_BLA_W_LP << 1);
    return true;
  }
  return false;
}
