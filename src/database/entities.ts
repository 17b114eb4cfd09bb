import { DistributionJob } from '../distribution/distribution-job.entity.js';
import { RecordedEvent } from '../events/recorded-event.entity.js';
import { Job } from '../jobs/job.entity.js';
import { ScheduleClaim } from '../jobs/schedule-claim.entity.js';
import { VodDownloadClip } from '../vod-download/vod-download-clip.entity.js';
import { VodDownload } from '../vod-download/vod-download.entity.js';

export const entities = [Job, ScheduleClaim, RecordedEvent, VodDownload, VodDownloadClip, DistributionJob];
