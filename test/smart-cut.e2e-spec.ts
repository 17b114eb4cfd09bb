import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Logger } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../src/config/app-config.js';
import { Ffmpeg, RunOptions } from '../src/media/ffmpeg.js';
import { firstPictureArgs } from '../src/media/inspect-args.js';
import { joinPiecesArgs } from '../src/media/smart-cut-args.js';
import { readMpegTsVideo } from '../src/media/mpeg-ts-file.js';
import { parameterSets, SmartCodec, splitNalUnits } from '../src/media/nal-units.js';
import { parseVideoPackets } from '../src/media/video-packets.js';
import { SourceProxy } from '../src/media/source-proxy.js';
import { DownloadRenderer } from '../src/vod-download/download-renderer.js';
import { Metrics } from '../src/observability/metrics.js';
import { ffprobe } from './helpers/media.js';
import {
  avcCOnly,
  decodeErrors,
  generateSmartCutSources,
  pictureHashes,
  SMART_FPS,
  SmartCutSources,
} from './helpers/smart-cut-sources.js';

/** The parameter sets a file's first picture is decoded with (for MP4, those of its avcC/hvcC). */
function openingParameterSets(file: string, codec: SmartCodec): Buffer[] {
  const picture = execFileSync('ffmpeg', firstPictureArgs({ location: file, remote: false }, 0, codec));
  return parameterSets(codec, splitNalUnits(picture));
}

/**
 * Overwrites the video's bytes (PID 0x100, as ffmpeg numbers it) in the MPEG-TS packets of the
 * last two thirds of the file, past the first picture and its parameter sets: every packet's header,
 * adaptation field and PES header are kept, and the first 24 bytes of a PES (its access unit
 * delimiter and the start of the first slice). So the file still demuxes and its slices do not
 * decode, small pictures that fit in one packet included. 0xA5 bytes, not zeros: a run of zeros
 * would end the NAL unit, and a decoder takes it as short.
 */
function spoilVideoPayloads(file: string): void {
  const bytes = readFileSync(file);
  const count = bytes.length / 188;
  for (let n = Math.floor(count / 3); n < count; n++) {
    const at = n * 188;
    const pid = ((bytes[at + 1] & 0x1f) << 8) | bytes[at + 2];
    const hasPayload = (bytes[at + 3] & 0x10) !== 0;
    if (bytes[at] !== 0x47 || pid !== 0x100 || !hasPayload) continue;
    let from = at + 4 + ((bytes[at + 3] & 0x20) !== 0 ? 1 + bytes[at + 4] : 0);
    // A PES starts here: past its header (9 bytes and its stated extension) and 24 bytes of video.
    if ((bytes[at + 1] & 0x40) !== 0) from += 9 + bytes[from + 8] + 24;
    if (from < at + 188) bytes.fill(0xa5, from, at + 188);
  }
  writeFileSync(file, bytes);
}

describe(`${DownloadRenderer.name} (smart cut on real encodes)`, () => {
  let dir: string;
  let sources: SmartCutSources;
  let renderer: DownloadRenderer;
  let run = 0;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'smart-cut-'));
    sources = generateSmartCutSources(join(dir, 'src'));
    const config = loadConfig({ ...process.env, DATA_DIR: join(dir, 'data'), MEDIA_ROOT: dir });
    renderer = new DownloadRenderer(new Ffmpeg(config, new SourceProxy(config)), new Metrics());
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const render = async (
    file: string,
    startSeconds: number,
    endSeconds: number,
    frameAccurate = true,
    filter?: string,
  ) => {
    const workDir = join(dir, `work-${run++}`);
    mkdirSync(workDir);
    const output = join(workDir, 'out.mp4');
    const input = { location: file, remote: false };
    const result = await renderer.render({
      clips: [{ input, label: 'clip', startSeconds, endSeconds, filter }],
      frameAccurate,
      output,
      workDir,
    });
    return { ...result, output };
  };

  /** The cut's pictures against the source's from its first: which are bit-identical. */
  const identity = (output: string, source: string, firstFrame: number, video = 0) => {
    const cut = pictureHashes(output, undefined, video);
    const original = pictureHashes(source, { seconds: firstFrame / SMART_FPS, frames: cut.length }, video);
    return cut.map((hash, n) => (hash === original[n] ? '=' : 'x')).join('');
  };

  // 1.3 s to 4.5 s: the pictures from 1.32 s (frame 33) to 4.44 s (frame 111), 79 in all. Keyframes every 2 s.
  it.each([
    ['x264 veryfast', 'veryfast', 'h264'],
    ['x264 medium', 'medium', 'h264'],
    ['x265 with CRA keyframes and RASL pictures', 'hevc', 'hevc'],
  ] as const)(
    'cuts %s on the exact pictures, copying all between the keyframe and the last clean point',
    async (_, name, codec) => {
      const { cutMethod, output } = await render(sources[name], 1.3, 4.5);

      expect(cutMethod).toBe('smart');
      expect(ffprobe(output).streams.map((stream) => stream.codec_type)).toEqual(['video', 'audio']);
      expect(Number(ffprobe(output).streams[0].nb_frames)).toBe(79);
      const same = identity(output, sources[name], 33);
      // The head (1.32 s to the keyframe at 2 s, 17 pictures) is re-encoded; from the keyframe on, the
      // pictures are the source's own up to the last clean point (at most a mini-GOP before the end).
      expect(same.slice(0, 17)).not.toContain('=');
      expect(same.slice(17)).toMatch(/^={48,}x*$/);
      expect(decodeErrors(output)).toBe('');
      // A player that reads only the MP4's header decodes the copied pictures with the source's parameter sets.
      expect(openingParameterSets(output, codec)).toEqual(openingParameterSets(sources[name], codec));
    },
  );

  it('copies a frame-accurate clip that starts on a keyframe and ends on a clean point, re-encoding nothing', async () => {
    const { cutMethod, output } = await render(sources.veryfast, 2, 4.5);
    expect(cutMethod).toBe('smart');
    expect(identity(output, sources.veryfast, 50)).toBe('='.repeat(62));
  });

  it('smart-cuts every selected rendition on its own keyframes', async () => {
    const { cutMethod, output } = await render(sources.renditions, 1.3, 4.5, true, '(type=="video")||(type=="audio")');
    expect(cutMethod).toBe('smart');
    const streams = ffprobe(output).streams;
    expect(streams.map((stream) => `${stream.codec_type}:${stream.width ?? ''}`)).toEqual([
      'video:320',
      'video:160',
      'audio:',
    ]);
    for (const video of [0, 1]) {
      expect(Number(streams[video].nb_frames)).toBe(79);
      // Both have a keyframe at 2 s: 17 pictures of head, then the source's own.
      expect(identity(output, sources.renditions, 33, video)).toMatch(/^x{17}={48,}x*$/);
    }
    expect(decodeErrors(output)).toBe('');
  });

  it('re-encodes H.264 with open GOPs whole: its copied keyframes would point at pictures left out', async () => {
    for (const startSeconds of [1.3, 2]) {
      const { cutMethod, output } = await render(sources.openGop, startSeconds, 4.5);
      expect(cutMethod).toBe('reencode');
      expect(Number(ffprobe(output).streams[0].nb_frames)).toBe(startSeconds === 2 ? 62 : 79);
      expect(decodeErrors(output)).toBe('');
    }
  });

  it('falls back to a whole re-encode, logged, when the head cannot match the source or its encoder is unknown', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn');
    try {
      for (const [file, reason] of [
        [sources.unmatchable, "the re-encoded head's parameter sets differ from the source's"],
        [sources.unknownEncoder, 'its video was not encoded by x264 or x265'],
      ]) {
        const { cutMethod, output } = await render(file, 1.3, 4.5);
        expect(cutMethod).toBe('reencode');
        expect(Number(ffprobe(output).streams[0].nb_frames)).toBe(79);
        expect(decodeErrors(output)).toBe('');
        expect(warn).toHaveBeenCalledWith(expect.stringContaining(reason));
      }
    } finally {
      warn.mockRestore();
    }
  });

  it('ends a stream copy of B-frame video on the first clean point after the end, not on the next keyframe', async () => {
    for (const name of ['veryfast', 'hevc'] as const) {
      const { cutMethod, output } = await render(sources[name], 1.3, 4.5, false);
      expect(cutMethod).toBe('copy');
      // From the keyframe at 0 s to at least the picture at 4.44 s, and at most a mini-GOP later (the keyframe after is at 6 s).
      const frames = Number(ffprobe(output).streams[0].nb_frames);
      expect(frames).toBeGreaterThanOrEqual(112);
      expect(frames).toBeLessThanOrEqual(116);
      expect(identity(output, sources[name], 0)).toBe('='.repeat(frames));
      expect(decodeErrors(output)).toBe('');
    }
  });

  it('re-encodes to one layout clips whose parameter sets differ, so that a player reading only the avcC decodes them all', async () => {
    const workDir = join(dir, `work-${run++}`);
    mkdirSync(workDir);
    const output = join(workDir, 'out.mp4');
    // Both 320x180 H.264 at 25 fps, by x264 with other settings: the SPS and PPS differ.
    const clips = [sources.veryfast, sources.medium].map((file) => ({
      input: { location: file, remote: false },
      label: file,
      startSeconds: 0,
      endSeconds: 2,
      filter: undefined,
    }));
    const { cutMethod } = await renderer.render({ clips, frameAccurate: false, output, workDir });
    expect(cutMethod).toBe('reencode');
    expect(Number(ffprobe(output).streams[0].nb_frames)).toBe(100);
    // Stitched by copy, the second clip's pictures decode with the first's PPS (its chroma QP offset) as other colours.
    const byAvcC = avcCOnly(output);
    expect(decodeErrors(byAvcC)).toBe('');
    expect(pictureHashes(byAvcC)).toEqual(pictureHashes(output));
  });

  describe('a download of several smart cuts', () => {
    // 1.3–4.5 s and 2.3–5.5 s: 79 pictures each, each with a head, a copied body and a tail.
    const SPANS = [
      [1.3, 4.5],
      [2.3, 5.5],
    ] as const;

    /** An ffmpeg adapter that spoils one step, as a fault would: `spoil` may rewrite a command's arguments, or a file after it ran. */
    class FaultyFfmpeg extends Ffmpeg {
      constructor(
        config: ConstructorParameters<typeof Ffmpeg>[0],
        proxy: SourceProxy,
        private readonly spoil: { args?: (args: string[]) => string[]; after?: (args: string[]) => void },
      ) {
        super(config, proxy);
      }

      async run(args: string[], options: RunOptions = {}): Promise<void> {
        await super.run(this.spoil.args?.(args) ?? args, options);
        this.spoil.after?.(args);
      }
    }

    const renderClips = async (ffmpeg?: Ffmpeg) => {
      const workDir = join(dir, `work-${run++}`);
      mkdirSync(workDir);
      const output = join(workDir, 'out.mp4');
      const input = { location: sources.veryfast, remote: false };
      const using = ffmpeg ? new DownloadRenderer(ffmpeg, new Metrics()) : renderer;
      const result = await using.render({
        clips: SPANS.map(([startSeconds, endSeconds]) => ({
          input,
          label: `clip ${startSeconds}`,
          startSeconds,
          endSeconds,
          filter: undefined,
        })),
        frameAccurate: true,
        output,
        workDir,
      });
      return { ...result, output, workDir };
    };

    const faulty = (spoil: ConstructorParameters<typeof FaultyFfmpeg>[2]) => {
      const config = loadConfig({ ...process.env, DATA_DIR: join(dir, 'data'), MEDIA_ROOT: dir });
      return new FaultyFfmpeg(config, new SourceProxy(config), spoil);
    };

    const expectWhole = (output: string) => {
      const streams = ffprobe(output).streams;
      expect(Number(streams[0].nb_frames)).toBe(158);
      expect(decodeErrors(output)).toBe('');
      // The audio lasts as long as the pictures: each clip's audio sits under its own pictures.
      expect(Math.abs(Number(streams[1].duration) - 158 / SMART_FPS)).toBeLessThan(0.05);
    };

    it("is stitched straight from the clips' pieces, no clip joined on its own", async () => {
      const { cutMethod, output, workDir } = await renderClips();
      expect(cutMethod).toBe('smart');
      expectWhole(output);
      expect(readdirSync(workDir).filter((name) => /^clip-\d+\.ts$/.test(name))).toEqual([]);
      const firsts = [Math.round(1.32 * SMART_FPS), Math.round(2.32 * SMART_FPS)];
      const cut = pictureHashes(output);
      const original = firsts.flatMap((first) =>
        pictureHashes(sources.veryfast, { seconds: first / SMART_FPS, frames: 79 }),
      );
      // Every copied picture is the source's, bit for bit: at least the bodies, 2.0–4.0 s and 4.0–5.x s.
      const same = cut.filter((hash, n) => hash === original[n]).length;
      expect(same).toBeGreaterThanOrEqual(50 + 25);
    });

    it('joins each clip on its own when the stitched download lacks pictures, and keeps the smart cuts', async () => {
      const warn = vi.spyOn(Logger.prototype, 'warn');
      try {
        // The stitch from pieces stops early, as a concat that lost a piece would.
        const ffmpeg = faulty({
          args: (args) =>
            args.some((arg) => arg.endsWith('pieces-v0.txt'))
              ? [...args.slice(0, -1), '-frames:v', '100', args.at(-1)!]
              : args,
        });
        const { cutMethod, output, workDir } = await renderClips(ffmpeg);
        expect(warn).toHaveBeenCalledWith(expect.stringContaining('has 100 pictures in a video instead of 158'));
        expect(cutMethod).toBe('smart');
        expectWhole(output);
        expect(
          readdirSync(workDir)
            .filter((name) => /^clip-\d+\.ts$/.test(name))
            .sort(),
        ).toEqual(['clip-0.ts', 'clip-1.ts']);
      } finally {
        warn.mockRestore();
      }
    });

    it('re-encodes a clip whose pieces the encoder cannot make, rather than failing the download', async () => {
      const warn = vi.spyOn(Logger.prototype, 'warn');
      try {
        // The second clip's smart-cut command names an encoder this ffmpeg lacks, as a refused setting would fail it.
        const ffmpeg = faulty({
          args: (args) =>
            args.some((arg) => arg.endsWith('clip-1-v0-head.ts'))
              ? args.map((arg, n) => (args[n - 1] === '-c:v' ? 'no_such_encoder' : arg))
              : args,
        });
        const { cutMethod, output } = await renderClips(ffmpeg);
        expect(warn).toHaveBeenCalledWith(expect.stringMatching(/Clip clip 2\.3 .*its pieces could not be cut/));
        expect(cutMethod).toBe('reencode');
        expectWhole(output);
      } finally {
        warn.mockRestore();
      }
    });

    // The first clip too: stitched to one layout with the copied clip after it, it must not gain a
    // repeated picture at its seam (its re-encode's audio runs past its last picture).
    it.each([
      ['second', 1, 'clip 2\\.3'],
      ['first', 0, 'clip 1\\.3'],
    ] as const)(
      're-encodes the %s clip when its join fails to decode, and joins the other as cut',
      async (_, n, label) => {
        const warn = vi.spyOn(Logger.prototype, 'warn');
        try {
          // The clip's head is damaged on disk after it was cut: its slices' data overwritten, its headers kept.
          const ffmpeg = faulty({
            after: (args) => {
              const head = args.find((arg) => arg.endsWith(`clip-${n}-v0-head.ts`));
              if (head) spoilVideoPayloads(head);
            },
          });
          const { cutMethod, output } = await renderClips(ffmpeg);
          expect(warn).toHaveBeenCalledWith(
            expect.stringMatching(new RegExp(`Clip ${label} .*decoding the join failed`)),
          );
          expect(cutMethod).toBe('reencode');
          expectWhole(output);
        } finally {
          warn.mockRestore();
        }
      },
    );
  });

  it("reads its own MPEG-TS in-process as ffprobe and ffmpeg read it: each video's packets and first picture", async () => {
    for (const [name, codec, videos] of [
      ['veryfast', 'h264', 1],
      ['hevc', 'hevc', 1],
      ['renditions', 'h264', 2],
    ] as const) {
      const { output } = await render(sources[name], 1.3, 4.5, true, '(type=="video")||(type=="audio")');
      const workDir = dirname(output);
      // The download was stitched straight from the clip's pieces: join them as a clip is joined when that fails.
      const joined = join(workDir, 'joined.ts');
      const videoLists = Array.from({ length: videos }, (_, video) => join(workDir, `clip-0-v${video}-pieces.txt`));
      execFileSync('ffmpeg', joinPiecesArgs({ videoLists, audio: undefined, audioStreamCount: 0, output: joined }));
      for (let video = 0; video < videos; video++) {
        const listed = execFileSync('ffprobe', [
          ...['-v', 'error', '-select_streams', `v:${video}`],
          ...['-show_entries', 'packet=pts_time,dts_time,flags', '-of', 'csv=p=0', joined],
        ]).toString();
        const { packets } = await readMpegTsVideo(joined, video);
        expect(packets.length).toBe(79);
        expect(packets).toEqual(
          parseVideoPackets(listed).map((packet) => ({
            pts: expect.closeTo(packet.pts, 6),
            dts: expect.closeTo(packet.dts, 6),
            keyframe: packet.keyframe,
          })),
        );
        const head = join(workDir, `clip-0-v${video}-head.ts`);
        const { firstPicture } = await readMpegTsVideo(head, 0, { firstPictureOnly: true });
        const byFfmpeg = execFileSync('ffmpeg', firstPictureArgs({ location: head, remote: false }, 0, codec));
        expect(parameterSets(codec, splitNalUnits(firstPicture!))).toEqual(
          parameterSets(codec, splitNalUnits(byFfmpeg)),
        );
        expect(parameterSets(codec, splitNalUnits(firstPicture!)).length).toBe(codec === 'hevc' ? 3 : 2);
      }
    }
  });
});
