export {};

declare module '../jobs/job-types.js' {
  interface JobDataByName {
    /** Runs the Opencast distribution job with this id (a row of distribution_job). */
    'distribution.run': { jobId: number };
    /** Writes the distribution job's status (and result) to its job in the Opencast service registry. */
    'distribution.report': { jobId: number };
  }
}
