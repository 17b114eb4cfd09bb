import { describe, expect, it } from 'vitest';
import { mapConcurrently } from './map-concurrently.js';

/** Resolves after `ms`, or rejects with the signal's reason once it fires. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });
}

describe(mapConcurrently.name, () => {
  it('runs at most `limit` at once and keeps the results in order', async () => {
    let running = 0;
    let most = 0;
    const results = await mapConcurrently([30, 5, 20, 1, 10], 2, async (ms, index, signal) => {
      most = Math.max(most, ++running);
      await sleep(ms, signal);
      running--;
      return `${index}:${ms}`;
    });
    expect(results).toEqual(['0:30', '1:5', '2:20', '3:1', '4:10']);
    expect(most).toBe(2);
    expect(await mapConcurrently([], 2, async () => 1)).toEqual([]);
  });

  it('on the first failure starts nothing more, stops the running ones, waits for them and throws that failure', async () => {
    const started: number[] = [];
    const settled: string[] = [];
    const failure = new Error('clip 2 failed');
    const run = mapConcurrently([0, 1, 2, 3], 2, async (item, _, signal) => {
      started.push(item);
      try {
        if (item === 1) {
          await sleep(5, signal);
          throw failure;
        }
        await sleep(1000, signal);
      } finally {
        settled.push(`${item}`);
      }
    });
    await expect(run).rejects.toBe(failure);
    expect(started).toEqual([0, 1]);
    expect(settled.sort()).toEqual(['0', '1']);
  });

  it("passes the parent's stop to every call", async () => {
    const parent = new AbortController();
    const run = mapConcurrently([1, 2, 3], 3, (_, __, signal) => sleep(1000, signal), parent.signal);
    parent.abort(new Error('deleted'));
    await expect(run).rejects.toThrow('deleted');
  });
});
