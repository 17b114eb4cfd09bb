/**
 * Every background job the service runs, by name, with its data. A name without exactly one
 * registered handler stops the service at start.
 */
export interface JobDataByName {
  'vod-download.process': { downloadId: string };
  'mail.send': { downloadId: string; message: DownloadMessage };
  /** POSTs `body` (the download object as the API shows it) to one of the download's rest_endpoints. */
  'vod-download.callback': { downloadId: string; url: string; body: object };
  /** Runs the Opencast distribution job with this id (a row of distribution_job). */
  'distribution.run': { jobId: number };
}

/** The e-mails a download's requester gets. */
export type DownloadMessage = 'download-ready' | 'download-failed';

export type JobName = keyof JobDataByName;

export const JOB_NAMES: readonly JobName[] = [
  'vod-download.process',
  'vod-download.callback',
  'mail.send',
  'distribution.run',
];
