/**
 * Every background job the service runs, by name, with its data. Each feature declares its own
 * jobs in its `<feature>.jobs.ts`, which adds them to this interface (declaration merging), so
 * this shared folder imports no feature.
 */
export interface JobDataByName {}

export type JobName = keyof JobDataByName;

/**
 * The names again, for the start-up check that every job has exactly one handler (data types do
 * not exist at run time). The compiler holds this list to the features' declarations both ways:
 * a job missing here, or a name no feature declares, fails the type check.
 */
const EVERY_JOB_NAME = {
  'vod-download.process': true,
  'vod-download.callback': true,
  'mail.send': true,
  'distribution.run': true,
  'distribution.report': true,
} satisfies Record<JobName, true>;

export const JOB_NAMES = Object.keys(EVERY_JOB_NAME) as readonly JobName[];
