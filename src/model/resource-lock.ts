/**
 * Keyed async locks: work on one resource ("repo:main", "publish:/stable") runs one at a time,
 * work on different resources runs in parallel. In-process only; the publish tree has its own
 * lock file against other processes.
 */
export class ResourceLocks {
  readonly #tails = new Map<string, Promise<void>>();

  /**
   * Runs `fn` holding every key. Keys are taken in sorted order, so two callers that need an
   * overlapping set cannot each hold one the other waits for.
   */
  async with<T>(keys: readonly string[], fn: () => Promise<T>): Promise<T> {
    const releases: (() => void)[] = [];
    try {
      for (const key of [...new Set(keys)].sort()) releases.push(await this.#acquire(key));
      return await fn();
    } finally {
      for (const release of releases.reverse()) release();
    }
  }

  /** Keys someone holds or waits for (for tests and diagnostics). */
  busyKeys(): string[] {
    return [...this.#tails.keys()];
  }

  async #acquire(key: string): Promise<() => void> {
    const before = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = before.then(() => mine);
    this.#tails.set(key, tail);
    await before;
    return () => {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    };
  }
}
