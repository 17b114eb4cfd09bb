import { DOMParser, type Element } from '@xmldom/xmldom';

/** Where a recording's own wall clock comes from; `none`: the media carries no timestamps. */
export type MediaClockKind = 'hls-program-date-time' | 'dash-availability-start-time' | 'none';

/** The media's own clock: the wall-clock instant of its media time 0, and how far its timestamps reach. */
export interface MediaClock {
  kind: Exclude<MediaClockKind, 'none'>;
  /** The instant of media time 0 as ffmpeg counts it (the first segment's start). */
  startTime: Date;
  /** Seconds of media the manifest lists; null when it does not say. */
  duration: number | null;
}

export type ManifestKind = 'hls' | 'dash';

/** Which manifest a source's path names; undefined for media files (MP4 and the like), which carry no wall clock. */
export function manifestKindOf(pathname: string): ManifestKind | undefined {
  if (/\.m3u8?$/i.test(pathname)) return 'hls';
  if (/\.mpd$/i.test(pathname)) return 'dash';
  return undefined;
}

/** The media playlist to read a master playlist's clock from (its first variant); undefined when `text` is a media playlist. */
export function firstMediaPlaylistOf(text: string): string | undefined {
  const lines = playlistLines(text);
  const variant = lines.findIndex((line) => line.startsWith('#EXT-X-STREAM-INF'));
  if (variant !== -1) return lines.slice(variant + 1).find((line) => !line.startsWith('#'));
  const rendition = lines.find((line) => line.startsWith('#EXT-X-MEDIA:') && /URI="[^"]+"/.test(line));
  return rendition ? /URI="([^"]+)"/.exec(rendition)![1] : undefined;
}

/**
 * The clock of an HLS media playlist: its first EXT-X-PROGRAM-DATE-TIME, moved back by the
 * durations of the segments before the one it dates, so that it names the first segment's start
 * (ffmpeg's media time 0). Only a finished playlist (EXT-X-ENDLIST) has one: of a growing one,
 * ffmpeg starts near the live edge, not at the first segment.
 */
export function hlsClockOf(text: string): MediaClock | undefined {
  const lines = playlistLines(text);
  if (!lines.includes('#EXT-X-ENDLIST')) return undefined;
  let elapsed = 0;
  let pending = 0;
  let startTime: Date | undefined;
  for (const line of lines) {
    if (line.startsWith('#EXTINF:')) pending = Number.parseFloat(line.slice('#EXTINF:'.length)) || 0;
    else if (line.startsWith('#EXT-X-PROGRAM-DATE-TIME:') && !startTime) {
      const dated = parseInstant(line.slice('#EXT-X-PROGRAM-DATE-TIME:'.length));
      if (dated) startTime = new Date(dated.getTime() - elapsed * 1000);
    } else if (line !== '' && !line.startsWith('#')) {
      elapsed += pending;
      pending = 0;
    }
  }
  return startTime ? { kind: 'hls-program-date-time', startTime, duration: round(elapsed) } : undefined;
}

/**
 * The clock of a DASH MPD (as Unified Streaming serves its archives): availabilityStartTime plus
 * the first Period's start, plus the first segment's time after presentationTimeOffset, which is
 * where ffmpeg's media time 0 lies. An MPD without availabilityStartTime has no clock.
 */
export function dashClockOf(xml: string): MediaClock | undefined {
  const mpd = parseMpd(xml);
  const available = parseInstant(mpd?.getAttribute('availabilityStartTime') ?? '');
  if (!mpd || !available) return undefined;
  const period = descendants(mpd, 'Period')[0];
  const periodStart = parseDuration(period?.getAttribute('start')) ?? 0;
  const segments = period ? firstSegmentInformation(period) : undefined;
  const timescale = numberAttribute(segments, 'timescale') || 1;
  const offset = numberAttribute(segments, 'presentationTimeOffset') ?? 0;
  const firstSegment = segments ? descendants(segments, 'S')[0] : undefined;
  // Without a timeline the first segment starts at the offset; a timeline's first S without t at 0.
  const lead = ((firstSegment ? (numberAttribute(firstSegment, 't') ?? 0) : offset) - offset) / timescale;
  const listed =
    parseDuration(mpd.getAttribute('mediaPresentationDuration')) ?? parseDuration(period?.getAttribute('duration'));
  const duration =
    (segments ? timelineSeconds(segments, timescale) : undefined) ?? (listed === undefined ? -1 : listed - lead);
  return {
    kind: 'dash-availability-start-time',
    startTime: new Date(available.getTime() + (periodStart + lead) * 1000),
    duration: duration > 0 ? round(duration) : null,
  };
}

/** An xs:duration as DASH writes it (`PT1H2M3.5S`, `P1DT2H`), in seconds. */
export function parseDuration(text: string | null | undefined): number | undefined {
  const parts = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(
    text?.trim() ?? '',
  );
  if (!parts || text!.trim().endsWith('T') || text!.trim() === 'P') return undefined;
  const [days, hours, minutes, seconds] = parts.slice(1).map((part) => Number(part ?? 0));
  return days * 86400 + hours * 3600 + minutes * 60 + seconds;
}

/** An ISO 8601 instant with a zone (`Z`, `+02:00` or `+0200`, as ffmpeg writes it); undefined otherwise. */
function parseInstant(text: string): Date | undefined {
  const trimmed = text.trim();
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(trimmed)) return undefined;
  const at = new Date(trimmed.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isNaN(at.getTime()) ? undefined : at;
}

function playlistLines(text: string): string[] {
  return text.split(/\r?\n/).map((line) => line.trim());
}

/** The MPD element, or undefined for text that is not an MPD; a DOCTYPE is refused, so no entity is expanded. */
function parseMpd(xml: string): Element | undefined {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) return undefined;
  try {
    const root = new DOMParser({
      onError: (level, message) => {
        if (level !== 'warning') throw new Error(message);
      },
    }).parseFromString(xml, 'text/xml').documentElement;
    return root?.localName === 'MPD' ? root : undefined;
  } catch {
    return undefined;
  }
}

/** The segment information of the period's first video adaptation set (else its first one). */
function firstSegmentInformation(period: Element): Element | undefined {
  const sets = descendants(period, 'AdaptationSet');
  const video = sets.find((set) => isVideo(set) || descendants(set, 'Representation').some(isVideo)) ?? sets[0];
  return ['SegmentTemplate', 'SegmentList', 'SegmentBase']
    .map((name) => descendants(video ?? period, name)[0])
    .find((element) => element !== undefined);
}

function isVideo(element: Element): boolean {
  return element.getAttribute('contentType') === 'video' || /^video\//.test(element.getAttribute('mimeType') ?? '');
}

/** The length of a SegmentTimeline; undefined without one, or when a negative `r` repeats to the period's end. */
function timelineSeconds(segmentInformation: Element, timescale: number): number | undefined {
  const segments = descendants(segmentInformation, 'S');
  if (segments.length === 0 || segments.some((s) => (numberAttribute(s, 'r') ?? 0) < 0)) return undefined;
  const ticks = segments.reduce(
    (sum, s) => sum + (numberAttribute(s, 'd') ?? 0) * (1 + (numberAttribute(s, 'r') ?? 0)),
    0,
  );
  return ticks / timescale;
}

/** A numeric attribute; undefined when absent or not a number. */
function numberAttribute(element: Element | undefined, name: string): number | undefined {
  const text = element?.getAttribute(name);
  const value = text ? Number(text) : NaN;
  return Number.isFinite(value) ? value : undefined;
}

function descendants(element: Element, localName: string): Element[] {
  return Array.from(element.getElementsByTagNameNS('*', localName));
}

function round(seconds: number): number {
  return Math.round(seconds * 1e6) / 1e6;
}
