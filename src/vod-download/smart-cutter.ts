import { writeFile } from 'node:fs/promises';
import { Injectable } from '@nestjs/common';
import { concatList, MediaInput } from '../media/ffmpeg-args.js';
import { Ffmpeg, RunOptions } from '../media/ffmpeg.js';
import { inPresentationOrder } from '../media/inspect-args.js';
import { SourceEncoding } from '../media/matching-encoder.js';
import { sameParameterSets, SmartCodec } from '../media/nal-units.js';
import { joinPiecesArgs, smartCutArgs } from '../media/smart-cut-args.js';
import type { ClipPlan, CutMethod } from './cut-plan.js';

/** The smart cut's result failed a check; the clip is to be re-encoded whole. `message` says which. */
export class SmartCutRejected extends Error {}

/** How far past the join of head and body its pictures are decoded to check it. */
const JOIN_CHECK_SECONDS = 1;

export interface SmartCutJob {
  input: MediaInput;
  plan: ClipPlan & { method: Extract<CutMethod, { kind: 'smart' }> };
  /** The source's encoding, and the arguments of the encoder that matches it. */
  encoding: SourceEncoding;
  encoder: string[];
  /** The clip's MPEG-TS; its pieces are written beside it. */
  output: string;
}

/**
 * Makes a smart cut (see frame-accurate-cut.ts) and proves it: the re-encoded pieces carry the
 * source's parameter sets byte for byte, the joined clip holds exactly the planned pictures, and
 * its pictures around each join decode without a single error and come out in presentation order.
 * A clip that fails any of these is rejected (SmartCutRejected), never delivered.
 */
@Injectable()
export class SmartCutter {
  constructor(private readonly ffmpeg: Ffmpeg) {}

  async cut(job: SmartCutJob, options: RunOptions): Promise<void> {
    const { plan, output, encoding } = job;
    const { head, body, tail } = plan.method;
    const base = output.replace(/\.ts$/, '');
    const audios = plan.streams.filter((stream) => stream.type === 'audio');
    const files = {
      head: `${base}-head.ts`,
      body: `${base}-body.ts`,
      tail: `${base}-tail.ts`,
      audio: audios.length > 0 ? `${base}-audio.ts` : undefined,
    };
    const clipFrom = (head ?? body).fromSeconds;
    const clipUntil = (tail ?? body).untilSeconds;
    await this.ffmpeg.run(
      smartCutArgs({
        input: job.input,
        videoIndex: plan.video!.index,
        codec: encoding.codec,
        audioIndexes: audios.map((stream) => stream.index),
        halfFrameSeconds: plan.halfFrameSeconds,
        encoder: job.encoder,
        head: head && { ...head, output: files.head },
        body: { fromSeconds: body.fromSeconds, frames: body.frames, output: files.body },
        tail: tail && { ...tail, output: files.tail },
        audio: files.audio ? { fromSeconds: clipFrom, untilSeconds: clipUntil, output: files.audio } : undefined,
      }),
      options,
    );
    for (const [piece, file] of [
      ['head', head && files.head],
      ['tail', tail && files.tail],
    ] as const) {
      if (file) await this.checkParameterSets(piece, file, encoding, options.signal);
    }
    const videoList = `${base}-pieces.txt`;
    await writeFile(
      videoList,
      concatList(
        [
          head && { path: files.head, span: head },
          { path: files.body, span: body },
          tail && { path: files.tail, span: tail },
        ]
          .filter((piece) => piece !== undefined)
          .map(({ path, span }) => ({ path, durationSeconds: span.untilSeconds - span.fromSeconds })),
      ),
    );
    await this.ffmpeg.run(joinPiecesArgs({ videoList, audio: files.audio, audioStreamCount: audios.length, output }), {
      signal: options.signal,
    });
    await this.checkJoined(output, plan.expectedFrames, head && head.untilSeconds - head.fromSeconds, options.signal);
    // A tail starts on an IDR picture of its own: the body (a clean prefix) cannot break it, but its encode can.
    if (tail) await this.checkDecodes(files.tail, undefined, 'tail', options.signal);
  }

  private async checkParameterSets(piece: string, file: string, encoding: SourceEncoding, signal?: AbortSignal) {
    const codec: SmartCodec = encoding.codec;
    const sets = await this.ffmpeg.openingParameterSets({ location: file, remote: false }, { index: 0, codec }, signal);
    if (!sameParameterSets(sets, encoding.parameterSets)) {
      throw new SmartCutRejected(`the re-encoded ${piece}'s parameter sets differ from the source's`);
    }
  }

  /**
   * The joined clip holds exactly the planned pictures, with decode times that only rise, and its
   * pictures through the join of head and body (where parameter sets, picture order counts and
   * reference lists meet) decode cleanly.
   */
  private async checkJoined(
    file: string,
    expectedFrames: number | undefined,
    headSeconds: number | undefined,
    signal?: AbortSignal,
  ) {
    const packets = await this.ffmpeg.allVideoPackets(file, signal);
    if (expectedFrames !== undefined && packets.length !== expectedFrames) {
      throw new SmartCutRejected(`the joined clip has ${packets.length} pictures instead of ${expectedFrames}`);
    }
    if (!packets.every((packet, n) => n === 0 || packet.dts > packets[n - 1].dts)) {
      throw new SmartCutRejected('the joined clip has decode times out of order');
    }
    if (headSeconds !== undefined) await this.checkDecodes(file, headSeconds + JOIN_CHECK_SECONDS, 'join', signal);
  }

  private async checkDecodes(file: string, readSeconds: number | undefined, what: string, signal?: AbortSignal) {
    const check = await this.ffmpeg.decodeCheck(file, readSeconds, signal);
    if (check.errors.length > 0) throw new SmartCutRejected(`decoding the ${what} failed: ${check.errors[0]}`);
    if (!inPresentationOrder(check.pictureTimes)) {
      throw new SmartCutRejected(`the pictures of the ${what} come out of order`);
    }
  }
}
