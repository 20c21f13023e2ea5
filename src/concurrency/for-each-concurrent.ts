import { Semaphore } from './semaphore.js';

/**
 * Runs `fn` over `items` with at most `limit` in flight, taking items from the iterable only as
 * permits free up. The first failure aborts the others (through the signal handed to `fn`),
 * stops taking items and is what this rejects with, once all have settled, so no work is still
 * running when the caller cleans up. Aborting `signal` does the same with its reason.
 */
export async function forEachConcurrent<T>(
  items: Iterable<T>,
  limit: number,
  fn: (item: T, signal: AbortSignal) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  const semaphore = new Semaphore(limit);
  const inner = new AbortController();
  const onAbort = (): void => inner.abort(signal?.reason);
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort, { once: true });
  let failure: { error: unknown } | undefined;
  const running = new Set<Promise<void>>();
  try {
    const it = items[Symbol.iterator]();
    for (;;) {
      // The permit first, then the item: a lazy iterable is read only as work can start.
      const release = await semaphore.acquire(inner.signal).catch(() => undefined);
      // Only an abort (a failure, or the caller's signal) makes acquire reject.
      if (release === undefined) break;
      const next = it.next();
      if (next.done === true) {
        release();
        break;
      }
      const item = next.value;
      const job = (async () => {
        try {
          await fn(item, inner.signal);
        } catch (error) {
          failure ??= { error };
          inner.abort(error);
        } finally {
          release();
        }
      })();
      running.add(job);
      void job.then(() => running.delete(job));
    }
  } finally {
    // Also when the iterable itself throws: nothing may still run once this settles.
    await Promise.all(running);
    signal?.removeEventListener('abort', onAbort);
  }
  if (failure) throw failure.error;
  signal?.throwIfAborted();
}
