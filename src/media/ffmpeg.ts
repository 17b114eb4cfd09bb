import { spawn } from 'node:child_process';
import { basename } from 'node:path';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { keyframeProbeArgs, MediaInput, probeArgs } from './ffmpeg-args.js';
import { SourceEncoding } from './matching-encoder.js';
import { encoderOptions, parameterSets, SmartCodec, splitNalUnits } from './nal-units.js';
import { parseProbeOutput, ProbeResult } from './probe-result.js';
import { DecodeCheck, decodeCheckArgs, DecodeSource, firstPictureArgs, parseDecodeCheck } from './inspect-args.js';
import { SourceProxy } from './source-proxy.js';
import { parseVideoPackets, VideoPacket } from './video-packets.js';

/** ffmpeg or ffprobe failed; the message (a download's failureReason) holds the last lines it wrote to stderr, `command` the whole command for the log. */
export class MediaCommandError extends Error {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly stderrTail: string,
  ) {
    super(
      `${basename(command.split(' ')[0])} failed (${exitCode === null ? 'killed' : `exit code ${exitCode}`}): ${stderrTail || 'no error output'}`,
    );
  }
}

/** The command was stopped because its AbortSignal fired; `reason` is the signal's reason. */
export class MediaCommandAborted extends Error {
  constructor(readonly reason: unknown) {
    super(`Stopped: ${String(reason)}`);
  }
}

export interface RunOptions {
  signal?: AbortSignal;
  /** Called with seconds of output written, from ffmpeg's `-progress` report. */
  onProgress?: (outputSeconds: number) => void;
}

/** What a tool wrote: stdout as bytes, stderr's tail as text. */
export interface ToolOutput {
  stdout: Buffer;
  stderr: string;
}

const STDERR_TAIL_LINES = 6;
const KILL_GRACE_MS = 3000;

/**
 * Runs ffmpeg and ffprobe: spawned directly (never through a shell), stopped by an AbortSignal
 * (SIGTERM, then SIGKILL if it lingers), progress from `-progress pipe:1`, and failures that
 * carry the command and the last lines of stderr. Every http(s) request they make goes through
 * the SourceProxy (the calling download's session of it), which reaches only ALLOWED_SOURCE_HOSTS;
 * what they read comes from MediaSources.
 */
@Injectable()
export class Ffmpeg implements OnModuleInit {
  private readonly logger = new Logger(Ffmpeg.name);

  constructor(
    protected readonly config: AppConfig,
    private readonly proxy: SourceProxy,
  ) {}

  /** Only processes that run jobs need ffmpeg; they refuse to start without it. */
  async onModuleInit(): Promise<void> {
    if (this.config.workerEnabled) await this.verifyInstalled();
  }

  async verifyInstalled(): Promise<void> {
    for (const version of await this.versions()) this.logger.log(version);
  }

  /** The first line of `ffmpeg -version` and `ffprobe -version`; throws, naming the setting, when one does not run. */
  async versions(): Promise<string[]> {
    const versions: string[] = [];
    for (const [tool, path, variable] of [
      ['ffmpeg', this.config.ffmpegPath, 'FFMPEG_PATH'],
      ['ffprobe', this.config.ffprobePath, 'FFPROBE_PATH'],
    ] as const) {
      try {
        const output = await this.execute(path, ['-hide_banner', '-version'], {});
        versions.push(output.stdout.toString('utf8').split('\n')[0]);
      } catch (error) {
        throw new Error(
          `${tool} does not run from "${path}" (${(error as Error).message}). Install ffmpeg (Debian/Ubuntu: apt-get install ffmpeg) or set ${variable} to its path.`,
        );
      }
    }
    return versions;
  }

  /** Runs ffmpeg with these arguments to completion. */
  async run(args: string[], options: RunOptions = {}): Promise<void> {
    await this.execute(this.config.ffmpegPath, ['-progress', 'pipe:1', '-nostats', ...args], options);
  }

  async probe(input: MediaInput, signal?: AbortSignal): Promise<ProbeResult> {
    return parseProbeOutput(await this.text(this.config.ffprobePath, probeArgs(input), signal));
  }

  /**
   * How the source's video was encoded, from its first picture (where x264 and x265 leave their
   * options) and its parameter sets; undefined when neither encoder made it.
   */
  async sourceEncoding(
    input: MediaInput,
    stream: { index: number; codec: SmartCodec; pixelFormat: string | undefined },
    signal?: AbortSignal,
  ): Promise<SourceEncoding | undefined> {
    const picture = await this.firstPicture(input, stream, signal);
    const encoder = encoderOptions(picture);
    if (!encoder) return undefined;
    const sets = parameterSets(stream.codec, splitNalUnits(picture));
    return { codec: stream.codec, encoder, parameterSets: sets, pixelFormat: stream.pixelFormat };
  }

  /** Decodes a local file's (or concat list's) `video`th video from its start, for `readSeconds` or whole: the errors printed and the pictures' times. */
  async decodeCheck(
    source: DecodeSource,
    video: number,
    readSeconds?: number,
    signal?: AbortSignal,
  ): Promise<DecodeCheck> {
    const output = await this.execute(this.config.ffmpegPath, decodeCheckArgs(source, video, readSeconds), { signal });
    return parseDecodeCheck(output.stdout.toString('utf8'), output.stderr);
  }

  private async firstPicture(
    input: MediaInput,
    stream: { index: number; codec: SmartCodec },
    signal?: AbortSignal,
  ): Promise<Buffer> {
    return (await this.execute(this.config.ffmpegPath, firstPictureArgs(input, stream.index, stream.codec), { signal }))
      .stdout;
  }

  private async text(path: string, args: string[], signal?: AbortSignal): Promise<string> {
    return (await this.execute(path, args, { signal })).stdout.toString('utf8');
  }

  /** A video stream's packets between two media times (seconds from the source's start), in decode order and media time. */
  async videoPackets(
    input: MediaInput,
    source: { streamIndex: number; startSeconds: number },
    fromSeconds: number,
    toSeconds: number,
    signal?: AbortSignal,
  ): Promise<VideoPacket[]> {
    const { streamIndex, startSeconds } = source;
    const args = keyframeProbeArgs(
      input,
      streamIndex,
      fromSeconds > 0 ? fromSeconds + startSeconds : 0,
      toSeconds + startSeconds,
    );
    const packets = parseVideoPackets(await this.text(this.config.ffprobePath, args, signal));
    return packets.map((packet) => ({ ...packet, pts: packet.pts - startSeconds, dts: packet.dts - startSeconds }));
  }

  private explain(stderrTail: string, since: number): string {
    const refused = this.proxy.refusedSince(since);
    return (
      this.proxy.readable(stderrTail) +
      (refused.length > 0 ? `\nRefused by the source rules: ${refused.join('; ')}` : '')
    );
  }

  /** Spawns the tool and resolves with its output; `-progress` lines on stdout are reported, not returned. */
  protected execute(path: string, args: string[], options: RunOptions): Promise<ToolOutput> {
    const { signal, onProgress } = options;
    const command = [path, ...args].join(' ');
    if (signal?.aborted) return Promise.reject(new MediaCommandAborted(signal.reason));
    return new Promise((resolve, reject) => {
      const startedAt = Date.now();
      const child = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'], env: this.proxy.environment() });
      const stdout: Buffer[] = [];
      let stderr = '';
      let pending = '';
      let killTimer: NodeJS.Timeout | undefined;
      const abort = () => {
        child.kill('SIGTERM');
        killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
      };
      signal?.addEventListener('abort', abort, { once: true });

      child.stdout.on('data', (chunk: Buffer) => {
        if (!onProgress) {
          stdout.push(chunk);
          return;
        }
        pending += chunk.toString('utf8');
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          const match = /^out_time_us=(\d+)/.exec(line);
          if (match) onProgress(Number(match[1]) / 1e6);
        }
      });
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        // Keep only the tail: a long run can write a lot of warnings.
        stderr = (stderr + chunk).slice(-8192);
      });
      child.on('error', (error) => {
        signal?.removeEventListener('abort', abort);
        reject(error);
      });
      child.on('close', (code) => {
        signal?.removeEventListener('abort', abort);
        clearTimeout(killTimer);
        if (signal?.aborted) reject(new MediaCommandAborted(signal.reason));
        else if (code === 0) resolve({ stdout: Buffer.concat(stdout), stderr });
        else {
          const error = new MediaCommandError(command, code, this.explain(lastLines(stderr), startedAt));
          // The failure reason names the tool only; the log keeps the whole command to reproduce it.
          this.logger.warn(`${command}\n${error.message}`);
          reject(error);
        }
      });
    });
  }
}

function lastLines(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .slice(-STDERR_TAIL_LINES)
    .join('\n');
}
