interface Waiter {
  readonly grant: () => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: AbortSignal | undefined;
}

/**
 * A counting semaphore whose waits can be aborted: the one concurrency limit of the program
 * (downloads, index compression, .deb reads, forEachConcurrent). Permits are handed over in
 * FIFO order, so a long queue of downloads cannot starve an early one. A released permit
 * passes straight to the next waiter instead of going back to the free count, so a caller
 * arriving between the release and the waiter's wake-up cannot take it too (the bug of the
 * former publish Limiter, which ran two tasks at once under a limit of 1). One abort listener
 * per signal, however many waits share it: a mirror update queues hundreds of downloads under
 * one signal.
 */
export class Semaphore {
  readonly limit: number;
  #used = 0;
  readonly #queue: Waiter[] = [];
  readonly #bySignal = new Map<AbortSignal, { readonly waiters: Set<Waiter>; readonly onAbort: () => void }>();

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`semaphore limit must be a positive integer, got ${limit}`);
    this.limit = limit;
  }

  /** Permits in use. */
  get used(): number {
    return this.#used;
  }

  /**
   * Resolves with a release function once a permit is free; rejects with the signal's reason if
   * it aborts first. The release function may be called more than once; only the first counts.
   */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    if (this.#used < this.limit) {
      this.#used++;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        signal,
        reject,
        grant: () => {
          this.#forget(waiter);
          resolve(this.#releaser());
        },
      };
      this.#queue.push(waiter);
      if (signal !== undefined) this.#watch(signal).add(waiter);
    });
  }

  /**
   * Runs `task` holding a permit, given back however the task ends (value, rejection or a
   * synchronous throw). Waiting for the permit can be aborted through `signal`.
   */
  async run<T>(task: () => T | PromiseLike<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(signal);
    try {
      return await task();
    } finally {
      release();
    }
  }

  #watch(signal: AbortSignal): Set<Waiter> {
    let entry = this.#bySignal.get(signal);
    if (entry === undefined) {
      const waiters = new Set<Waiter>();
      const onAbort = (): void => {
        this.#bySignal.delete(signal);
        for (const w of waiters) {
          const i = this.#queue.indexOf(w);
          if (i >= 0) this.#queue.splice(i, 1);
          w.reject(signal.reason);
        }
      };
      signal.addEventListener('abort', onAbort, { once: true });
      entry = { waiters, onAbort };
      this.#bySignal.set(signal, entry);
    }
    return entry.waiters;
  }

  #forget(waiter: Waiter): void {
    if (waiter.signal === undefined) return;
    const entry = this.#bySignal.get(waiter.signal);
    if (entry === undefined) return;
    entry.waiters.delete(waiter);
    if (entry.waiters.size === 0) {
      waiter.signal.removeEventListener('abort', entry.onAbort);
      this.#bySignal.delete(waiter.signal);
    }
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#queue.shift();
      // The permit passes straight to the next waiter, so `used` does not dip in between.
      if (next !== undefined) next.grant();
      else this.#used--;
    };
  }
}
