/**
 * Runs `work` on every item, at most `limit` at once, and resolves with the results in the items'
 * order. Each call gets a signal that fires when `parent` does or when any call fails, and is to
 * stop (fail) when it fires: on the first failure no further item starts, the running ones are
 * told to stop, and once all have settled that first failure is thrown (nothing is left running
 * behind the caller's back).
 */
export async function mapConcurrently<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number, signal: AbortSignal) => Promise<R>,
  parent?: AbortSignal,
): Promise<R[]> {
  const failed = new AbortController();
  const signal = parent ? AbortSignal.any([parent, failed.signal]) : failed.signal;
  const results: R[] = new Array(items.length);
  let firstFailure: { error: unknown } | undefined;
  let next = 0;
  const worker = async () => {
    while (next < items.length && !firstFailure) {
      const index = next++;
      try {
        results[index] = await work(items[index], index, signal);
      } catch (error) {
        if (!firstFailure) {
          firstFailure = { error };
          failed.abort(error);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (firstFailure) throw firstFailure.error;
  return results;
}
