import { forEachConcurrent } from '../concurrency/for-each-concurrent.js';
import type { Context } from './context.js';

export interface DbCheckResult {
  /** Files something refers to that the pool lacks (or holds with the wrong size). */
  readonly missing: readonly string[];
  /** Pool files nothing refers to any more: what `db cleanup` would delete. */
  readonly unreferenced: readonly string[];
  readonly referenced: number;
  /** With `verify`: referenced files whose bytes no longer hash to their name. */
  readonly damaged?: readonly string[];
}

/** Deep checks at once: each reads a whole file, from disk or S3. */
const VERIFY_CONCURRENCY = 8;

/**
 * `db check`: compares what the store refers to with what the pool holds. With `verify`, each
 * referenced file is also read whole and hashed (Pool.verify), which finds an object damaged
 * or replaced behind debstash's back; without it a file counts as present when it exists.
 */
export async function checkDb(ctx: Context, options: { readonly verify?: boolean; readonly signal?: AbortSignal } = {}): Promise<DbCheckResult> {
  const referenced = await ctx.store.referencedFiles();
  const missing: string[] = [];
  const damaged: string[] = [];
  const verify = options.verify === true ? ctx.pool.verify?.bind(ctx.pool) : undefined;
  if (verify !== undefined) {
    await forEachConcurrent([...referenced], VERIFY_CONCURRENCY, async (sha256) => {
      const verdict = await verify(sha256, options.signal);
      if (verdict === 'missing') missing.push(sha256);
      else if (verdict === 'mismatch') damaged.push(sha256);
    });
  } else {
    for (const sha256 of referenced) if (!(await ctx.pool.has(sha256))) missing.push(sha256);
  }
  const unreferenced: string[] = [];
  for await (const sha256 of ctx.pool.list()) if (!referenced.has(sha256)) unreferenced.push(sha256);
  return { missing: missing.sort(), unreferenced, referenced: referenced.size, ...(options.verify === true ? { damaged: damaged.sort() } : {}) };
}

/** Files stored more recently than this are kept by default: an update may be about to commit them. */
export const DEFAULT_CLEANUP_MIN_AGE_MS = 60 * 60 * 1000;

/**
 * `db cleanup`: deletes pool files nothing refers to. References are read again after the
 * pool was listed, so a file committed meanwhile stays. A file an update or upload has stored
 * but not committed yet is not referenced either; it was stored (or stored again) recently,
 * so files younger than `minAgeMs` stay. The age is the pool's `storedAt`: a local file's
 * mtime, an S3 object's LastModified (set by the endpoint's clock; a put of an object already
 * there renews it, see S3Pool). Not the store: it has no row for a file before the commit
 * that refers to it, which is exactly the file this protects. `minAgeMs` 0 asks no ages.
 */
export async function cleanupDb(ctx: Context, options: { readonly minAgeMs?: number; readonly now?: Date } = {}): Promise<{ readonly deleted: number; readonly keptRecent: number }> {
  const { unreferenced } = await checkDb(ctx);
  const referenced = await ctx.store.referencedFiles();
  const cutoff = (options.now ?? new Date()).getTime() - (options.minAgeMs ?? DEFAULT_CLEANUP_MIN_AGE_MS);
  let deleted = 0;
  let keptRecent = 0;
  for (const sha256 of unreferenced) {
    if (referenced.has(sha256)) continue;
    if ((options.minAgeMs ?? DEFAULT_CLEANUP_MIN_AGE_MS) > 0) {
      const storedAt = (await ctx.pool.stat(sha256))?.storedAt;
      if (storedAt !== undefined && storedAt.getTime() > cutoff) {
        keptRecent++;
        continue;
      }
    }
    await ctx.pool.delete(sha256);
    deleted++;
  }
  return { deleted, keptRecent };
}
