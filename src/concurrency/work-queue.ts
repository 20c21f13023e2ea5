export interface WorkQueueOptions {
  /** Items in flight at the start. */
  readonly initial: number;
  /** Never more items in flight than this, however the throughput grows. */
  readonly max: number;
  /** How long throughput is measured before the limit may grow again. Default 200 ms. */
  readonly windowMs?: number;
  /** Aborting it stops the queue as cancel() does. */
  readonly signal?: AbortSignal;
}

/** A window must be this much faster than the best so far to count as growth. */
const GAIN = 1.1;
/** Windows in a row without growth after which the limit stays where it is. */
const PATIENCE = 2;

/**
 * Work fed while it runs (a download can start as soon as the package is known, while the rest
 * is still being read), at most `limit` items at once. The limit starts at `initial` and grows
 * while throughput grows: `fn` resolves with the units of work it did (bytes), and after each
 * window in which the queue had more work than it ran, a window faster than the best so far by
 * a tenth raises the limit by one, up to `max`; two windows without such growth end the growing
 * (more connections no longer help, so more would only cost the upstream). Items start in the
 * order pushed.
 *
 * The first failure aborts the others (through the signal handed to `fn`) and drops what has
 * not started; finish() rejects with it once nothing runs any more, so no work is left behind
 * when the caller cleans up.
 */
export class WorkQueue<T> {
  readonly #fn: (item: T, signal: AbortSignal) => Promise<number>;
  readonly #max: number;
  readonly #windowMs: number;
  readonly #inner = new AbortController();
  readonly #pending: T[] = [];
  readonly #running = new Set<Promise<void>>();
  readonly #outer: AbortSignal | undefined;
  readonly #onOuterAbort = (): void => this.#stop(this.#outer?.reason);
  #limit: number;
  #peak = 0;
  #failure: { error: unknown } | undefined;
  #finished = false;
  #idle: (() => void) | undefined;
  // Throughput bookkeeping, per window.
  #windowStart = performance.now();
  #windowUnits = 0;
  #windowBacklogged = false;
  #best = 0;
  #flat = 0;

  constructor(fn: (item: T, signal: AbortSignal) => Promise<number>, options: WorkQueueOptions) {
    const { initial, max } = options;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`work queue bound must be a positive integer, got ${max}`);
    if (!Number.isInteger(initial) || initial < 1 || initial > max) throw new RangeError(`work queue start must be an integer in 1..${max}, got ${initial}`);
    this.#fn = fn;
    this.#max = max;
    this.#limit = initial;
    this.#windowMs = options.windowMs ?? 200;
    this.#outer = options.signal;
    if (this.#outer?.aborted === true) this.#stop(this.#outer.reason);
    else this.#outer?.addEventListener('abort', this.#onOuterAbort, { once: true });
  }

  /** The current limit. */
  get limit(): number {
    return this.#limit;
  }

  /** The most items that ran at once. */
  get peak(): number {
    return this.#peak;
  }

  /** Aborted on the first failure, cancel(), or the caller's signal: hand it to work that feeds the queue. */
  get signal(): AbortSignal {
    return this.#inner.signal;
  }

  /** Queues `item`; ignored once the queue has stopped (failure or cancel). */
  push(item: T): void {
    if (this.#finished) throw new Error('push after finish()');
    if (this.#inner.signal.aborted) return;
    this.#pending.push(item);
    this.#pump();
  }

  /**
   * No more items: resolves once every item pushed has run; rejects with the first failure (or
   * the abort reason) once nothing runs any more.
   */
  async finish(): Promise<void> {
    this.#finished = true;
    while (this.#running.size > 0 || (this.#pending.length > 0 && !this.#inner.signal.aborted)) {
      await new Promise<void>((resolve) => (this.#idle = resolve));
    }
    this.#outer?.removeEventListener('abort', this.#onOuterAbort);
    if (this.#failure) throw this.#failure.error;
    if (this.#inner.signal.aborted) throw this.#inner.signal.reason;
  }

  /** Aborts what runs, drops what waits, and resolves once nothing runs. */
  async cancel(reason: unknown): Promise<void> {
    this.#stop(reason);
    await this.finish().catch(() => undefined);
  }

  #stop(reason: unknown): void {
    this.#pending.length = 0;
    if (!this.#inner.signal.aborted) this.#inner.abort(reason);
    this.#wake();
  }

  #wake(): void {
    const idle = this.#idle;
    this.#idle = undefined;
    idle?.();
  }

  #pump(): void {
    while (this.#running.size < this.#limit && this.#pending.length > 0 && !this.#inner.signal.aborted) {
      const item = this.#pending.shift() as T;
      const job = this.#run(item);
      this.#running.add(job);
      this.#peak = Math.max(this.#peak, this.#running.size);
      void job.then(() => {
        this.#running.delete(job);
        this.#pump();
        this.#wake();
      });
    }
    if (this.#pending.length > 0) this.#windowBacklogged = true;
  }

  async #run(item: T): Promise<void> {
    try {
      const units = await this.#fn(item, this.#inner.signal);
      this.#measure(units);
    } catch (error) {
      // Once stopped, what the others fail with is the stop itself, not a new failure.
      if (!this.#inner.signal.aborted) this.#failure ??= { error };
      this.#stop(error);
    }
  }

  #measure(units: number): void {
    this.#windowUnits += units;
    const now = performance.now();
    const elapsed = now - this.#windowStart;
    if (elapsed < this.#windowMs) return;
    const rate = this.#windowUnits / elapsed;
    // Only a window that had work waiting says anything about whether more at once would help.
    if (this.#windowBacklogged && this.#flat < PATIENCE && this.#limit < this.#max) {
      if (rate > this.#best * GAIN) {
        this.#best = rate;
        this.#flat = 0;
        this.#limit++;
      } else {
        this.#flat++;
      }
    }
    this.#windowStart = now;
    this.#windowUnits = 0;
    this.#windowBacklogged = this.#pending.length > 0;
  }
}
