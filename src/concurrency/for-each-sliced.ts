import { setImmediate as nextTurn } from 'node:timers/promises';

/** Longest one slice holds the event loop, in milliseconds. */
const SLICE_MS = 10;

/**
 * Runs the synchronous `fn` over `items`, giving the event loop back every few milliseconds.
 * For many tiny file system calls: through libuv's thread pool each costs a hand-off, and its
 * threads contend for the same directory and inode-allocation locks (measured: 5,000 small
 * files stored in 0.6 s inline against 4-5 s through the pool), while a server sharing the
 * loop still answers between slices. `signal` is checked between slices.
 */
export async function forEachSliced<T>(items: Iterable<T>, fn: (item: T) => void, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  let start = performance.now();
  for (const item of items) {
    fn(item);
    if (performance.now() - start >= SLICE_MS) {
      await nextTurn();
      signal?.throwIfAborted();
      start = performance.now();
    }
  }
}
