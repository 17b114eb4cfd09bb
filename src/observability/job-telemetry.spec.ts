import { describe, expect, it } from 'vitest';
import { JOB_CANCELLED, WORKER_SHUTDOWN } from '../jobs/job-queue.js';
import { jobLogBindings, jobOutcome } from './job-telemetry.js';

const aborted = (reason: unknown) => AbortSignal.abort(reason);
const context = { jobId: 'j-1', attempt: 2, signal: new AbortController().signal };

describe(jobLogBindings.name, () => {
  it('names the job and the download or distribution job it serves', () => {
    expect(jobLogBindings('vod-download.process', { downloadId: 'd-1' }, context)).toEqual({
      job: { kind: 'vod-download.process', id: 'j-1', attempt: 2 },
      downloadId: 'd-1',
    });
    expect(jobLogBindings('distribution.run', { jobId: 7 }, context)).toEqual({
      job: { kind: 'distribution.run', id: 'j-1', attempt: 2 },
      distributionJobId: 7,
    });
  });
});

describe(jobOutcome.name, () => {
  it('tells a completed run from a failed one, and both from a cancel or a hand-back at shutdown', () => {
    const running = new AbortController().signal;
    expect(jobOutcome(running, false)).toBe('completed');
    expect(jobOutcome(running, true)).toBe('failed');
    expect(jobOutcome(aborted(WORKER_SHUTDOWN), true)).toBe('handed_back');
    // A handler that returns after its signal was aborted is settled as aborted by the queue, too.
    expect(jobOutcome(aborted(WORKER_SHUTDOWN), false)).toBe('handed_back');
    expect(jobOutcome(aborted(JOB_CANCELLED), true)).toBe('cancelled');
  });
});
