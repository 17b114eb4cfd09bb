import { InitialSchema1764000000000 } from './1764000000000-initial-schema.js';
import { ScheduleClaims1764000100000 } from './1764000100000-schedule-claims.js';
import { DistributionJob1764100000000 } from './1764100000000-distribution-job.js';
import { VodDownloadClips1764200000000 } from './1764200000000-vod-download-clips.js';
import { DistributionRegistryJob1764300000000 } from './1764300000000-distribution-registry-job.js';
import { MediaClock1764300100000 } from './1764300100000-media-clock.js';
import { VodDownloadCutMethod1764300200000 } from './1764300200000-vod-download-cut-method.js';

/** Every migration, oldest first. TypeORM runs the ones a database has not seen at start. */
export const migrations = [
  InitialSchema1764000000000,
  ScheduleClaims1764000100000,
  DistributionJob1764100000000,
  VodDownloadClips1764200000000,
  DistributionRegistryJob1764300000000,
  MediaClock1764300100000,
  VodDownloadCutMethod1764300200000,
];
