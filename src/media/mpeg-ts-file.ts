import { open } from 'node:fs/promises';
import { MediaCommandAborted } from './ffmpeg.js';
import { MpegTsVideo, MpegTsVideoReader } from './mpeg-ts.js';

/** A whole number of transport packets: about 1 MiB. */
const CHUNK_BYTES = 188 * 5_600;

/**
 * Reads the `video`th video stream of one of the service's own MPEG-TS files in-process (see
 * mpeg-ts.ts): every packet, or with `firstPictureOnly` just enough for its first picture.
 */
export async function readMpegTsVideo(
  file: string,
  video: number,
  options: { firstPictureOnly?: boolean; signal?: AbortSignal } = {},
): Promise<MpegTsVideo> {
  const reader = new MpegTsVideoReader(video);
  const handle = await open(file, 'r');
  try {
    const chunk = Buffer.alloc(CHUNK_BYTES);
    for (;;) {
      if (options.signal?.aborted) throw new MediaCommandAborted(options.signal.reason);
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      reader.push(chunk.subarray(0, bytesRead));
      if (options.firstPictureOnly && reader.hasFirstPicture) return reader.readSoFar();
    }
  } finally {
    await handle.close();
  }
  return reader.end();
}
