import { forEachConcurrent } from '../concurrency/for-each-concurrent.js';
import type { Pool, PoolEntry } from './pool.js';

/** Stats at once where the pool has no statMany: a stat of the local disk is a syscall. */
const CONCURRENCY = 32;

/** `stat` of each of `sha256s`, `concurrency` at a time: the entries found, by hash. */
export async function statEach(
  stat: (sha256: string) => Promise<PoolEntry | undefined>,
  sha256s: Iterable<string>,
  concurrency: number,
  signal?: AbortSignal,
): Promise<Map<string, PoolEntry>> {
  const found = new Map<string, PoolEntry>();
  await forEachConcurrent(
    new Set(sha256s),
    concurrency,
    async (sha256) => {
      const e = await stat(sha256);
      if (e !== undefined) found.set(sha256, e);
    },
    signal,
  );
  return found;
}

/** The pool's entries of `sha256s` (the absent ones left out): Pool.statMany, or `stat` of each. */
export async function statMany(pool: Pool, sha256s: readonly string[], signal?: AbortSignal): Promise<Map<string, PoolEntry>> {
  if (pool.statMany !== undefined) return pool.statMany(sha256s, signal);
  return statEach((sha256) => pool.stat(sha256), sha256s, CONCURRENCY, signal);
}
