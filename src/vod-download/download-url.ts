import type { AppConfig } from '../config/app-config.js';
import { signedLinkQuery } from '../storage/signed-link.js';
import { expiresAt } from './expiry.js';
import type { VodDownload } from './vod-download.entity.js';

/**
 * Where a download's MP4 is served (`/downloads/<folder>/<file>`), under PUBLIC_URL. With
 * DOWNLOAD_LINK_SECRET, a completed download's link is signed until its expiry, so that nginx can
 * send the file without asking the service (deploy/nginx.conf).
 */
export function downloadUrlOf(
  download: Pick<VodDownload, 'downloadPath' | 'completionDate'>,
  config: Pick<AppConfig, 'publicUrl' | 'downloadLinkSecret' | 'downloadExpiryDays'>,
): string {
  const url = `${config.publicUrl}/${download.downloadPath}`;
  if (!config.downloadLinkSecret || !download.completionDate) return url;
  const expiry = expiresAt(download.completionDate, config.downloadExpiryDays);
  return `${url}?${signedLinkQuery(`/${download.downloadPath}`, expiry, config.downloadLinkSecret)}`;
}
