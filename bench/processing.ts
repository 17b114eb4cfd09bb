/**
 * npm run bench:processing [-- --runs 3] [-- --only veryfast]
 *
 * Wall time of a 3-clip download from generated 10-minute sources (x264 `ultrafast` 720p without
 * B-frames; x264 `veryfast` 720p and 1080p with B-frames, as streaming encoders encode; x265 720p;
 * each with two audio languages),
 * by stream copy and frame-accurate, through the service's DownloadRenderer (probe, packet
 * lookup, cuts, checks, stitch, final check), against the very ffmpeg/ffprobe commands it ran,
 * replayed bare from this script one after another: the ratio is the service's own overhead, less
 * what it gains by running clips at once and reading its checks in-process. Also the realtime
 * factor (media seconds per wall second) of each mode, frame-accurate ÷ stream copy per source
 * (the median of the ratios of rounds in which the two take turns, and their range),
 * the cut method the service chose, and, on the first source, a full re-encode of the same clips
 * in one ffmpeg command: what the smart cut saves. Medians of `--runs` runs. The sources are read
 * as the service reads a file under MEDIA_ROOT: over http from the SourceProxy, bare commands too.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/app-config.js';
import { Ffmpeg, RunOptions, ToolOutput } from '../src/media/ffmpeg.js';
import { SourceProxy } from '../src/media/source-proxy.js';
import { Metrics } from '../src/observability/metrics.js';
import { DownloadRenderer } from '../src/vod-download/download-renderer.js';
import { median } from './measure.js';

const args = new Map(
  process.argv.slice(2).flatMap((arg, i, all) => (arg.startsWith('--') ? [[arg.slice(2), all[i + 1]]] : [])),
);
const runs = Number(args.get('runs') ?? 3);
const only = args.get('only');
const cacheDir = join(tmpdir(), 'media-delivery-bench');

interface BenchSource {
  label: string;
  file: string;
  size: string;
  video: string[];
}

const SOURCES: BenchSource[] = [
  { label: 'x264 ultrafast 720p', size: '1280x720', video: ['-c:v', 'libx264', '-preset', 'ultrafast'] },
  { label: 'x264 veryfast 720p', size: '1280x720', video: ['-c:v', 'libx264', '-preset', 'veryfast'] },
  { label: 'x264 veryfast 1080p', size: '1920x1080', video: ['-c:v', 'libx264', '-preset', 'veryfast'] },
  {
    label: 'x265 ultrafast 720p',
    size: '1280x720',
    video: ['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error'],
  },
].map((spec) => ({
  ...spec,
  file: join(
    cacheDir,
    `source-${spec.size.split('x')[1]}p-600s-${spec.label.split(' ')[0]}-${spec.label.split(' ')[1]}-2audio.mp4`,
  ),
}));
// Starts off the 2-second keyframe grid, so frame-accurate cuts have a head to re-encode.
const CLIPS = [
  { startSeconds: 60.36, endSeconds: 120.72 },
  { startSeconds: 250.52, endSeconds: 310.12 },
  { startSeconds: 480.44, endSeconds: 540 },
];
const mediaSeconds = CLIPS.reduce((sum, clip) => sum + clip.endSeconds - clip.startSeconds, 0);

/** The service's ffmpeg adapter, noting every command it runs so they can be replayed bare. */
class RecordingFfmpeg extends Ffmpeg {
  commands: { path: string; args: string[] }[] = [];

  protected execute(path: string, commandArgs: string[], options: RunOptions): Promise<ToolOutput> {
    this.commands.push({ path, args: commandArgs });
    return super.execute(path, commandArgs, options);
  }
}

async function main(): Promise<void> {
  mkdirSync(cacheDir, { recursive: true });
  const config = loadConfig({ ...process.env, DATA_DIR: join(cacheDir, 'data'), MEDIA_ROOT: cacheDir });
  const proxy = new SourceProxy(config);
  await proxy.start();
  const ffmpeg = new RecordingFfmpeg(config, proxy);
  const renderer = new DownloadRenderer(ffmpeg, new Metrics());
  console.log(
    `3 clips, ${mediaSeconds.toFixed(2)} s of media from 10-minute 25 fps sources; medians of ${runs} runs\n`,
  );

  const rows: string[][] = [];
  const ratios: string[] = [];
  for (const spec of SOURCES.filter((spec) => !only || spec.label.includes(only))) {
    ensureSource(spec);
    const input = { location: proxy.mediaRootUrl(spec.file), remote: true };
    const modes = await benchModes(spec, input, renderer, ffmpeg, proxy);
    rows.push(...modes.rows);
    const sorted = [...modes.ratios].sort((a, b) => a - b);
    ratios.push(
      `${spec.label}: frame-accurate ÷ stream copy = ${median(modes.ratios).toFixed(2)} ` +
        `(median of each round's ratio; ${sorted[0].toFixed(2)}–${sorted.at(-1)!.toFixed(2)})`,
    );
    if (spec === SOURCES[0]) {
      const fullReencode: number[] = [];
      for (let run = 0; run < Math.min(runs, 2); run++) {
        const started = performance.now();
        await runBare(config.ffmpegPath, fullReencodeArgs(spec.file, join(cacheDir, 'work', 'full.mp4')));
        fullReencode.push(performance.now() - started);
      }
      const fullMs = median(fullReencode);
      rows.push([
        spec.label,
        'full re-encode (1 cmd)',
        '-',
        `${(fullMs / 1000).toFixed(2)} s`,
        '-',
        '-',
        `${(mediaSeconds / (fullMs / 1000)).toFixed(1)}x`,
        '1',
      ]);
      ratios.push(
        `${spec.label}: the smart cut is ${(fullMs / modes.frameAccurateMs).toFixed(1)}x faster than re-encoding the clips whole`,
      );
    }
  }

  const header = ['source', 'mode', 'cut method', 'service wall', 'bare ffmpeg', 'ratio', 'realtime', 'commands'];
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
  for (const row of [header, ...rows]) console.log(row.map((cell, i) => cell.padEnd(widths[i])).join('  '));
  console.log(`\n${ratios.join('\n')}`);
  rmSync(join(cacheDir, 'work'), { recursive: true, force: true });
  await proxy.onModuleDestroy();
}

interface ModeRuns {
  frameAccurate: boolean;
  workDir: string;
  cutMethod: string;
  /** The commands of the mode's latest render, replayed bare. */
  commands: { path: string; args: string[] }[];
  service: number[];
  bare: number[];
}

/**
 * Stream copy and frame-accurate of the clips from one source, by the service and replayed bare.
 * The two modes take turns within each round (in alternating order), so that the ratio of each
 * round compares runs on the same machine at the same time; its median is what is reported.
 */
async function benchModes(
  spec: BenchSource,
  input: { location: string; remote: boolean },
  renderer: DownloadRenderer,
  ffmpeg: RecordingFfmpeg,
  proxy: SourceProxy,
): Promise<{ rows: string[][]; ratios: number[]; frameAccurateMs: number }> {
  const modes: ModeRuns[] = [false, true].map((frameAccurate) => {
    const workDir = join(cacheDir, 'work', frameAccurate ? 'frame-accurate' : 'copy');
    rmSync(workDir, { recursive: true, force: true });
    mkdirSync(workDir, { recursive: true });
    return { frameAccurate, workDir, cutMethod: '', commands: [], service: [], bare: [] };
  });
  const renderOnce = async (mode: ModeRuns) => {
    ffmpeg.commands = [];
    const started = performance.now();
    const result = await renderer.render({
      clips: CLIPS.map((clip) => ({ ...clip, input, label: 'bench', filter: undefined })),
      frameAccurate: mode.frameAccurate,
      output: join(mode.workDir, 'out.mp4'),
      workDir: mode.workDir,
    });
    mode.cutMethod = result.cutMethod;
    return { ms: performance.now() - started, commands: ffmpeg.commands };
  };
  const replay = async (commands: { path: string; args: string[] }[]) => {
    const started = performance.now();
    for (const command of commands) await runBare(command.path, command.args, proxy.environment());
    return performance.now() - started;
  };
  // A warm-up run of each records its commands (and warms the page cache); then, within each mode
  // too, the service and the bare replay alternate in order.
  for (const mode of modes) mode.commands = (await renderOnce(mode)).commands;
  for (let run = 0; run < runs; run++) {
    for (const mode of run % 2 === 0 ? modes : [...modes].reverse()) {
      if (run % 2 === 0) {
        const latest = await renderOnce(mode);
        mode.service.push(latest.ms);
        mode.bare.push(await replay(mode.commands));
        mode.commands = latest.commands;
      } else {
        mode.bare.push(await replay(mode.commands));
        const latest = await renderOnce(mode);
        mode.service.push(latest.ms);
        mode.commands = latest.commands;
      }
    }
  }
  const rows = modes.map((mode) => {
    const serviceMs = median(mode.service);
    const bareMs = median(mode.bare);
    return [
      spec.label,
      mode.frameAccurate ? 'frame-accurate' : 'stream copy',
      mode.cutMethod,
      `${(serviceMs / 1000).toFixed(2)} s`,
      `${(bareMs / 1000).toFixed(2)} s`,
      (serviceMs / bareMs).toFixed(3),
      `${(mediaSeconds / (serviceMs / 1000)).toFixed(1)}x`,
      String(mode.commands.length),
    ];
  });
  const [copy, frameAccurate] = modes;
  const ratios = frameAccurate.service.map((ms, run) => ms / copy.service[run]);
  return { rows, ratios, frameAccurateMs: median(frameAccurate.service) };
}

/** The frame-accurate alternative: every clip decoded and encoded again, with the same encoder settings. */
function fullReencodeArgs(source: string, output: string): string[] {
  const inputs = CLIPS.flatMap((clip) => [
    '-ss',
    clip.startSeconds.toFixed(3),
    '-t',
    (clip.endSeconds - clip.startSeconds).toFixed(3),
    '-i',
    source,
  ]);
  const graph = `${CLIPS.map((_, n) => `[${n}:v:0][${n}:a:0]`).join('')}concat=n=${CLIPS.length}:v=1:a=1[v][a]`;
  return [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    ...inputs,
    '-filter_complex',
    graph,
    '-map',
    '[v]',
    '-map',
    '[a]',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    '18',
    '-c:a',
    'aac',
    '-movflags',
    '+faststart',
    output,
  ];
}

function ensureSource(spec: BenchSource): void {
  if (existsSync(spec.file)) return;
  console.log(`Generating ${spec.file} (once; cached)…`);
  const started = performance.now();
  execFileSync('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y'],
    ...['-f', 'lavfi', '-i', `testsrc2=size=${spec.size}:rate=25:duration=600`],
    // Two audio languages, as recordings with an interpreter's track have.
    ...['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=600'],
    ...['-f', 'lavfi', '-i', 'sine=frequency=660:sample_rate=48000:duration=600'],
    ...['-map', '0', '-map', '1', '-map', '2'],
    ...spec.video,
    ...['-g', '50', '-keyint_min', '50', '-sc_threshold', '0', '-pix_fmt', 'yuv420p'],
    ...['-c:a', 'aac', '-b:a', '128k', '-metadata:s:a:0', 'language=eng', '-metadata:s:a:1', 'language=deu'],
    `${spec.file}.part.mp4`,
  ]);
  execFileSync('mv', [`${spec.file}.part.mp4`, spec.file]);
  console.log(`  generated in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}

function runBare(path: string, commandArgs: string[], env?: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(path, commandArgs, { stdio: 'ignore', env });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${path} exited with ${code}`))));
  });
}

void main().catch((error) => {
  console.error(error);
  process.exit(1);
});
