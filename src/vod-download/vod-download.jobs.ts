import type { DownloadMessage } from './download-mailer.js';

declare module '../jobs/job-types.js' {
  interface JobDataByName {
    /** Cuts and stitches one download's clips. */
    'vod-download.process': { downloadId: string };
    /** POSTs `body` (the download object as the API shows it) to one of the download's rest_endpoints. */
    'vod-download.callback': { downloadId: string; url: string; body: object };
    /** Sends one e-mail about a download (the name predates the mailer's move here: queued rows carry it). */
    'mail.send': { downloadId: string; message: DownloadMessage };
  }
}
