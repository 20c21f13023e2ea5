/**
 * The slowest transfer an upstream may keep up: fewer than `minBytesPerSecond` on average over
 * the last `windowSeconds` is too slow. An idle timeout alone lets a server that sends one byte
 * every few seconds hold a request (and its permit) for ever.
 */
export class TransferRate {
  // (time, total bytes) pairs, at most one per second of the window: a bounded history.
  readonly #times: number[] = [];
  readonly #totals: number[] = [];
  readonly #windowMs: number;
  readonly #minBytesPerSecond: number;
  #total = 0;

  constructor(minBytesPerSecond: number, windowSeconds: number, start: number = Date.now()) {
    this.#minBytesPerSecond = minBytesPerSecond;
    this.#windowMs = windowSeconds * 1000;
    this.#times.push(start);
    this.#totals.push(0);
  }

  /**
   * Counts `bytes` received at `now`. Returns the average rate over the window, bytes per
   * second, when it is below the minimum (once a whole window has passed), else undefined.
   */
  add(bytes: number, now: number = Date.now()): number | undefined {
    this.#total += bytes;
    const last = this.#times[this.#times.length - 1] ?? now;
    if (now - last >= 1000) {
      this.#times.push(now);
      this.#totals.push(this.#total);
    }
    return this.check(now);
  }

  /** The average over the window when it is too slow, else undefined. */
  check(now: number = Date.now()): number | undefined {
    if (this.#minBytesPerSecond <= 0 || this.#windowMs <= 0) return undefined;
    // The newest sample at least a window old is where the window starts.
    let from = -1;
    for (let i = 0; i < this.#times.length; i++) if (now - (this.#times[i] ?? now) >= this.#windowMs) from = i;
    if (from < 0) return undefined;
    if (from > 0) {
      this.#times.splice(0, from);
      this.#totals.splice(0, from);
    }
    const elapsed = (now - (this.#times[0] ?? now)) / 1000;
    const rate = (this.#total - (this.#totals[0] ?? 0)) / elapsed;
    return rate < this.#minBytesPerSecond ? rate : undefined;
  }
}
