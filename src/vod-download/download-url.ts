import type { AppConfig } from '../config/app-config.js';
import { SIGNED_LINK_SEGMENT, signedLinkQuery } from '../storage/signed-link.js';
import { expiresAt } from './expiry.js';
import type { VodDownload } from './vod-download.entity.js';

/**
 * Where a download's MP4 is served (`/downloads/<folder>/<file>`), under PUBLIC_URL. With
 * DOWNLOAD_LINK_SECRET, a completed download's link is signed until its expiry
 * (`/signed/downloads/<folder>/<file>?expires=…&md5=…`), so that nginx can send the file without
 * asking the service (deploy/nginx.conf).
 */
export function downloadUrlOf(
  download: Pick<VodDownload, 'downloadPath' | 'completionDate'>,
  config: Pick<AppConfig, 'publicUrl' | 'downloadLinkSecret' | 'downloadExpiryDays'>,
): string {
  if (!config.downloadLinkSecret || !download.completionDate) return `${config.publicUrl}/${download.downloadPath}`;
  const path = `/${SIGNED_LINK_SEGMENT}/${download.downloadPath}`;
  const expiry = expiresAt(download.completionDate, config.downloadExpiryDays);
  return `${config.publicUrl}${path}?${signedLinkQuery(path, expiry, config.downloadLinkSecret)}`;
}
