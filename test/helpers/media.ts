import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';

/** Seconds of every generated source; keyframes every 2 s at 10 frames per second. */
export const SOURCE_SECONDS = 8;
export const FRAME_RATE = 10;

const QUIET = ['-hide_banner', '-loglevel', 'error', '-y'];
/** A keyframe every 2 s exactly, as the tests' expected cut points assume. */
const KEYFRAMES = ['-g', '20', '-keyint_min', '20', '-sc_threshold', '0', '-pix_fmt', 'yuv420p'];
const VIDEO = ['-c:v', 'libx264', '-preset', 'ultrafast', ...KEYFRAMES];
const AUDIO = ['-c:a', 'aac', '-b:a', '24k', '-ac', '1', '-ar', '22050'];
const lavfi = (graph: string) => ['-f', 'lavfi', '-i', graph];

export interface TestSources {
  /** 320x180 and 160x90 video, English and French audio. */
  multi: string;
  videoOnly: string;
  audioOnly: string;
  /** Video with B-frames (as most encoders make it), and audio. */
  bFrames: string;
  /** An HLS master playlist of `multi` (master.m3u8): two video variants sharing eng and fra audio renditions. */
  hlsDir: string;
  /** A DASH manifest of `multi`, named as a Unified Streaming origin names it (plenary.ism/.mpd). */
  dashDir: string;
}

/** Generates the test sources under `dir` (relative names are relative to it) with lavfi; about a second in all. */
export function generateSources(dir: string): TestSources {
  mkdirSync(dir, { recursive: true });
  const multi = join(dir, 'multi.mp4');
  const duration = `duration=${SOURCE_SECONDS}`;
  execFileSync('ffmpeg', [
    ...QUIET,
    ...lavfi(`testsrc=size=320x180:rate=${FRAME_RATE}:${duration}`),
    ...lavfi(`testsrc=size=160x90:rate=${FRAME_RATE}:${duration}`),
    ...lavfi(`sine=frequency=440:sample_rate=22050:${duration}`),
    ...lavfi(`sine=frequency=660:sample_rate=22050:${duration}`),
    ...['-map', '0', '-map', '1', '-map', '2', '-map', '3'],
    ...VIDEO,
    ...AUDIO,
    ...['-metadata:s:a:0', 'language=eng', '-metadata:s:a:1', 'language=fra'],
    multi,
  ]);
  const videoOnly = join(dir, 'video-only.mp4');
  execFileSync('ffmpeg', [
    ...QUIET,
    ...lavfi(`testsrc2=size=240x136:rate=${FRAME_RATE}:duration=4`),
    ...VIDEO,
    videoOnly,
  ]);
  const bFrames = join(dir, 'b-frames.mp4');
  execFileSync('ffmpeg', [
    ...QUIET,
    ...lavfi(`testsrc=size=320x180:rate=${FRAME_RATE}:${duration}`),
    ...lavfi(`sine=frequency=550:sample_rate=22050:${duration}`),
    ...['-c:v', 'libx264', '-preset', 'veryfast', '-bf', '3', ...KEYFRAMES],
    ...AUDIO,
    bFrames,
  ]);
  const audioOnly = join(dir, 'audio-only.m4a');
  execFileSync('ffmpeg', [
    ...QUIET,
    ...lavfi('sine=frequency=330:sample_rate=44100:duration=3'),
    '-c:a',
    'aac',
    '-b:a',
    '32k',
    audioOnly,
  ]);

  const hlsDir = join(dir, 'hls');
  mkdirSync(hlsDir, { recursive: true });
  execFileSync('ffmpeg', [
    ...QUIET,
    '-i',
    multi,
    ...['-map', '0:0', '-map', '0:1', '-map', '0:2', '-map', '0:3', '-c', 'copy'],
    ...[
      '-f',
      'hls',
      '-hls_time',
      '2',
      '-hls_playlist_type',
      'vod',
      '-hls_segment_filename',
      join(hlsDir, '%v_%03d.ts'),
    ],
    ...['-var_stream_map', 'v:0,name:hi v:1,name:lo a:0,name:eng a:1,name:fra'],
    join(hlsDir, '%v.m3u8'),
  ]);
  writeFileSync(
    join(hlsDir, 'master.m3u8'),
    [
      '#EXTM3U',
      '#EXT-X-VERSION:3',
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="English",LANGUAGE="eng",DEFAULT=YES,URI="eng.m3u8"',
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="Français",LANGUAGE="fra",DEFAULT=NO,URI="fra.m3u8"',
      '#EXT-X-STREAM-INF:BANDWIDTH=150000,RESOLUTION=320x180,CODECS="avc1.42c00c,mp4a.40.2",AUDIO="aud"',
      'hi.m3u8',
      '#EXT-X-STREAM-INF:BANDWIDTH=100000,RESOLUTION=160x90,CODECS="avc1.42c00b,mp4a.40.2",AUDIO="aud"',
      'lo.m3u8',
      '',
    ].join('\n'),
  );
  // Laid out as a Unified Streaming origin serves a presentation as DASH: <name>.ism/.mpd
  const dashDir = join(dir, 'plenary.ism');
  mkdirSync(dashDir, { recursive: true });
  execFileSync('ffmpeg', [
    ...QUIET,
    '-i',
    multi,
    '-map',
    '0',
    '-c',
    'copy',
    '-f',
    'dash',
    '-seg_duration',
    '2',
    join(dashDir, '.mpd'),
  ]);
  return { multi, videoOnly, audioOnly, bFrames, hlsDir, dashDir };
}

/** A small MP4 of `seconds` with video and audio at `file`, for tests that need a download to succeed. */
export function generateClip(file: string, seconds = 2): void {
  mkdirSync(dirname(file), { recursive: true });
  execFileSync('ffmpeg', [
    ...QUIET,
    ...lavfi(`testsrc=size=160x90:rate=${FRAME_RATE}:duration=${seconds}`),
    ...lavfi(`sine=frequency=440:sample_rate=22050:duration=${seconds}`),
    ...VIDEO,
    ...AUDIO,
    file,
  ]);
}

export interface ProbedFile {
  format: { duration: string };
  streams: {
    index: number;
    codec_type: string;
    codec_name: string;
    width?: number;
    height?: number;
    duration?: string;
    nb_frames?: string;
    tags?: Record<string, string>;
  }[];
}

/** Decode times of the first video stream's packets, in file order. */
export function videoDecodeTimes(file: string): number[] {
  const csv = execFileSync(
    'ffprobe',
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=dts_time', '-of', 'csv=p=0', file],
    {
      encoding: 'utf8',
    },
  );
  return csv
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map(Number);
}

export function ffprobe(file: string): ProbedFile {
  return JSON.parse(
    execFileSync('ffprobe', ['-v', 'error', '-of', 'json', '-show_format', '-show_streams', file], {
      encoding: 'utf8',
    }),
  );
}

/** True when the MP4's index (moov) comes before its media data, i.e. it was written with +faststart. */
export function isFastStart(file: string): boolean {
  const trace = spawnSync('ffprobe', ['-v', 'trace', '-i', file], { encoding: 'utf8' }).stderr;
  const moov = trace.indexOf("type:'moov'");
  const mdat = trace.indexOf("type:'mdat'");
  return moov !== -1 && mdat !== -1 && moov < mdat && !trace.includes("type:'moof'");
}

/** One decoded video frame as grey bytes: the first frame of the file, or the frame at `atSeconds`. */
export function frameBytes(file: string, atSeconds?: number, width = 320, height = 180): Buffer {
  return execFileSync('ffmpeg', [
    ...QUIET,
    ...(atSeconds === undefined ? [] : ['-ss', atSeconds.toFixed(3)]),
    '-i',
    file,
    ...[
      '-map',
      '0:v:0',
      '-frames:v',
      '1',
      '-vf',
      `scale=${width}:${height}`,
      '-f',
      'rawvideo',
      '-pix_fmt',
      'gray',
      '-',
    ],
  ]);
}

export function meanDifference(a: Buffer, b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

export interface StaticServer {
  /** http://127.0.0.1:<port> */
  url: string;
  /** `host` header and path of every request received. */
  requests: string[];
  /** Requests wait here while the gate is closed. */
  closeGate(): void;
  openGate(): void;
  close(): Promise<void>;
}

/** A tiny static file server on loopback, whose answers can be held back to keep a download running. */
export async function serveDirectory(root: string): Promise<StaticServer> {
  let gate: Promise<void> = Promise.resolve();
  let release = () => {};
  const requests: string[] = [];
  const server: Server = createServer(async (request, response) => {
    requests.push(`${request.headers.host}${request.url}`);
    await gate;
    const path = normalize(join(root, decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname)));
    if (!path.startsWith(root + sep) || !existsSync(path) || !statSync(path).isFile()) {
      response.writeHead(404).end();
      return;
    }
    const type = path.endsWith('.m3u8')
      ? 'application/vnd.apple.mpegurl'
      : path.endsWith('.ts')
        ? 'video/mp2t'
        : 'video/mp4';
    response.writeHead(200, { 'content-type': type, 'content-length': statSync(path).size });
    createReadStream(path).pipe(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    closeGate: () => {
      gate = new Promise((resolve) => (release = resolve));
    },
    openGate: () => release(),
    close: () => {
      release();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Live ffmpeg or ffprobe processes that this process (the app under test) started, reading from `url`. */
export function toolsReading(url: string): string[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((pid) => {
      try {
        // stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after its last ')'.
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (Number(ppid) !== process.pid || state === 'Z') return [];
        return [readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ')];
      } catch {
        return [];
      }
    })
    .filter((command) => /^(\S*\/)?ff(mpeg|probe) /.test(command) && command.includes(url));
}

const PROGRAM_DATE_TIME = /^#EXT-X-PROGRAM-DATE-TIME:(.+)$/gm;

/**
 * HLS of the MP4 `source` in 2 s segments under `dir`, dated with EXT-X-PROGRAM-DATE-TIME by
 * ffmpeg's hls muxer and moved so that the first segment starts at `firstSegmentAt`, behind a
 * master playlist (master.m3u8) naming the media playlist (media.m3u8).
 */
export function generateHlsWithProgramDateTime(source: string, dir: string, firstSegmentAt: Date): void {
  mkdirSync(dir, { recursive: true });
  const media = join(dir, 'media.m3u8');
  execFileSync('ffmpeg', [
    ...QUIET,
    '-i',
    source,
    ...['-c', 'copy', '-f', 'hls', '-hls_time', '2', '-hls_playlist_type', 'vod'],
    ...['-hls_flags', 'program_date_time', '-hls_segment_filename', join(dir, 'segment_%03d.ts')],
    media,
  ]);
  const written = readFileSync(media, 'utf8');
  const [first] = [...written.matchAll(PROGRAM_DATE_TIME)].map((match) => toDate(match[1]));
  const shift = firstSegmentAt.getTime() - first.getTime();
  writeFileSync(
    media,
    written.replace(PROGRAM_DATE_TIME, (_, at: string) => {
      return `#EXT-X-PROGRAM-DATE-TIME:${new Date(toDate(at).getTime() + shift).toISOString()}`;
    }),
  );
  writeFileSync(
    join(dir, 'master.m3u8'),
    ['#EXTM3U', '#EXT-X-STREAM-INF:BANDWIDTH=150000,RESOLUTION=160x90', 'media.m3u8', ''].join('\n'),
  );
}

/** ffmpeg writes zones as `+0000`. */
function toDate(text: string): Date {
  return new Date(text.trim().replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
}

/**
 * A DASH presentation of the MP4 `source` in 2 s segments at `dir`/.mpd, as a Unified Streaming
 * archive dates it: availabilityStartTime `availableAt` and a first period starting at 0.
 */
export function generateDashWithAvailabilityStartTime(source: string, dir: string, availableAt: Date): void {
  mkdirSync(dir, { recursive: true });
  const mpd = join(dir, '.mpd');
  execFileSync('ffmpeg', [...QUIET, '-i', source, '-map', '0', '-c', 'copy', '-f', 'dash', '-seg_duration', '2', mpd]);
  const written = readFileSync(mpd, 'utf8');
  writeFileSync(
    mpd,
    written.replace('type="static"', `type="static" availabilityStartTime="${availableAt.toISOString()}"`),
  );
}
