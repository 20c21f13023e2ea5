import { DebstashError } from '../errors/debstash-error.js';

/**
 * Keyed async locks: work on one resource ("repo:main", "publish:/stable") runs one at a time,
 * work on different resources runs in parallel. In-process only: StoreLocks queues a process's
 * callers here before it asks the store, where the locks that hold across processes live.
 */
export class ResourceLocks {
  readonly #tails = new Map<string, Promise<void>>();

  /**
   * Runs `fn` holding every key. Keys are taken in sorted order, so two callers that need an
   * overlapping set cannot each hold one the other waits for.
   */
  async with<T>(keys: readonly string[], fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const releases: (() => void)[] = [];
    try {
      for (const key of [...new Set(keys)].sort()) releases.push(await this.#acquire(key, signal));
      return await fn();
    } finally {
      for (const release of releases.reverse()) release();
    }
  }

  /** Keys someone holds or waits for (for tests and diagnostics). */
  busyKeys(): string[] {
    return [...this.#tails.keys()];
  }

  /**
   * Waits for the callers before on `key`. Aborting `signal` ends the wait with
   * DEBSTASH_E_CANCELLED; the place in the queue is given up at once (the next caller still
   * waits for the ones before).
   */
  async #acquire(key: string, signal?: AbortSignal): Promise<() => void> {
    const before = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = before.then(() => mine);
    this.#tails.set(key, tail);
    const forget = (): void => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    };
    if (signal !== undefined) {
      let onAbort: (() => void) | undefined;
      const aborted = new Promise<void>((resolve) => signal.addEventListener('abort', (onAbort = () => resolve()), { once: true }));
      await Promise.race([before, aborted]);
      if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
      if (signal.aborted) {
        // Our tail still waits for the callers before us: forget it only once they are done.
        release();
        void tail.then(forget);
        throw new DebstashError('DEBSTASH_E_CANCELLED', `cancelled while waiting for ${key}`, { resource: key });
      }
    }
    await before;
    return () => {
      release();
      forget();
    };
  }
}
