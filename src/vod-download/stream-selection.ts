import type { ProbedStream, ProbeResult } from '../media/probe-result.js';
import { trackProperties } from './track-properties.js';
import { FilterExpression, matchesFilter } from './usp-filter.js';

/**
 * The streams of a source that go into the MP4, videos first then audios, each in source order.
 * A filter selects the streams it matches (text streams cannot go into the MP4 and are left out);
 * without one, the largest video and every audio stream.
 */
export function selectStreams(streams: ProbedStream[], filter: FilterExpression | undefined): ProbedStream[] {
  const videos = streams.filter((stream) => stream.type === 'video');
  const audios = streams.filter((stream) => stream.type === 'audio');
  if (filter) {
    return [...videos, ...audios].filter((stream) => matchesFilter(filter, trackProperties(stream)));
  }
  const best = videos.reduce<ProbedStream | undefined>(
    (chosen, video) => (!chosen || videoRank(video) > videoRank(chosen) ? video : chosen),
    undefined,
  );
  return [...(best ? [best] : []), ...audios];
}

function videoRank(stream: ProbedStream): number {
  // Pixels first; the bitrate only breaks ties between renditions of one size.
  return (stream.width ?? 0) * (stream.height ?? 0) * 1e6 + Math.min(stream.bitrate ?? 0, 1e6 - 1);
}

/** A clip's track layout after the cut: stitching by copy needs every clip to share it. */
export interface ClipLayout {
  /**
   * `setup`: what the video's parameter sets come from. An MP4 has one avcC (or hvcC) per track,
   * the first clip's: a player that reads only that (as players may) decodes a clip made with
   * other parameter sets as garbage, even where ffmpeg copes through the ones in band.
   */
  videos: { codec: string; width: number; height: number; setup: string | undefined }[];
  /** `setup`: the AudioSpecificConfig or the like (AAC-LC and HE-AAC at one rate differ only there). */
  audios: { codec: string; sampleRate: number; channels: number; setup: string | undefined }[];
}

export function sameLayout(a: ClipLayout, b: ClipLayout): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The layout a clip of these streams has after the cut: re-encoded video is H.264, with the
 * parameter sets our encoder makes from its size, pixel format, frame rate, aspect and colour;
 * copied video (a smart cut's too: its pieces carry the source's) keeps the source's, known by
 * its extradata (see setupsKnownBySource).
 */
export function clipLayout(streams: ProbedStream[], videoReencoded: boolean): ClipLayout {
  return {
    videos: streams
      .filter((stream) => stream.type === 'video')
      .map((stream) => ({
        codec: videoReencoded ? 'h264' : stream.codec,
        width: stream.width ?? 0,
        height: stream.height ?? 0,
        setup: videoReencoded
          ? `re-encoded ${stream.pixelFormat} ${stream.frameRate} ${stream.displayWidth} ${stream.colour}`
          : stream.extradataHash,
      })),
    audios: streams
      .filter((stream) => stream.type === 'audio')
      .map((stream) => ({
        codec: stream.codec,
        sampleRate: stream.sampleRate ?? 0,
        channels: stream.channels ?? 0,
        setup: stream.extradataHash,
      })),
  };
}

/**
 * The probe, with each video whose container carries no extradata known by its source alone:
 * its parameter sets come in band only, and two sources' cannot be told apart, nor taken to match.
 * (Audio without extradata, such as MP3 or AC-3, describes itself in every frame.)
 */
export function setupsKnownBySource(probe: ProbeResult, location: string): ProbeResult {
  return {
    ...probe,
    streams: probe.streams.map((stream) =>
      stream.type === 'video' && stream.extradataHash === undefined
        ? { ...stream, extradataHash: `in band, from ${location}` }
        : stream,
    ),
  };
}
