import type { VodDownload } from './vod-download.entity.js';

/** Where a download's MP4 is served (`/downloads/<contentId>/<file>`), under PUBLIC_URL. */
export function downloadUrlOf(download: Pick<VodDownload, 'downloadPath'>, publicUrl: string): string {
  return `${publicUrl}/${download.downloadPath}`;
}
