/**
 * One packet of a video stream as ffprobe lists it (in decode order). Times are seconds: the
 * source's own timestamps when parsed, media time (from the source's start) once Ffmpeg hands them out.
 */
export interface VideoPacket {
  /** Presentation time: when the packet's picture is shown. */
  pts: number;
  /** Decode time: earlier than `pts` for pictures that B-frames are shown before. */
  dts: number;
  keyframe: boolean;
}

/** Video packets from `ffprobe -show_entries packet=pts_time,dts_time,flags -of csv=p=0`, in the order listed. */
export function parseVideoPackets(csv: string): VideoPacket[] {
  return csv
    .split('\n')
    .map((line) => line.trim().split(','))
    .filter(([pts]) => pts !== undefined && pts !== '' && pts !== 'N/A' && Number.isFinite(Number(pts)))
    .map(([pts, dts, flags]) => ({
      pts: Number(pts),
      // Without a decode time (some demuxers leave it out), the picture is decoded when it is shown.
      dts: dts !== undefined && dts !== '' && Number.isFinite(Number(dts)) ? Number(dts) : Number(pts),
      keyframe: flags?.includes('K') ?? false,
    }));
}
