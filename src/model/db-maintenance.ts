import type { Context } from './context.js';

export interface DbCheckResult {
  /** Files something refers to that the pool lacks (or holds with the wrong size). */
  readonly missing: readonly string[];
  /** Pool files nothing refers to any more: what `db cleanup` would delete. */
  readonly unreferenced: readonly string[];
  readonly referenced: number;
}

/** `db check`: compares what the store refers to with what the pool holds. */
export async function checkDb(ctx: Context): Promise<DbCheckResult> {
  const referenced = await ctx.store.referencedFiles();
  const missing: string[] = [];
  for (const sha256 of referenced) if (!(await ctx.pool.has(sha256))) missing.push(sha256);
  const unreferenced: string[] = [];
  for await (const sha256 of ctx.pool.list()) if (!referenced.has(sha256)) unreferenced.push(sha256);
  return { missing: missing.sort(), unreferenced, referenced: referenced.size };
}

/** Files stored more recently than this are kept by default: an update may be about to commit them. */
export const DEFAULT_CLEANUP_MIN_AGE_MS = 60 * 60 * 1000;

/**
 * `db cleanup`: deletes pool files nothing refers to. References are read again after the
 * pool was listed, so a file committed meanwhile stays. A file an update or upload has stored
 * but not committed yet is not referenced either; it was stored (or stored again) recently,
 * so files younger than `minAgeMs` stay.
 */
export async function cleanupDb(ctx: Context, options: { readonly minAgeMs?: number; readonly now?: Date } = {}): Promise<{ readonly deleted: number; readonly keptRecent: number }> {
  const { unreferenced } = await checkDb(ctx);
  const referenced = await ctx.store.referencedFiles();
  const cutoff = (options.now ?? new Date()).getTime() - (options.minAgeMs ?? DEFAULT_CLEANUP_MIN_AGE_MS);
  let deleted = 0;
  let keptRecent = 0;
  for (const sha256 of unreferenced) {
    if (referenced.has(sha256)) continue;
    const storedAt = (await ctx.pool.stat(sha256))?.storedAt;
    if (storedAt !== undefined && storedAt.getTime() > cutoff) {
      keptRecent++;
      continue;
    }
    await ctx.pool.delete(sha256);
    deleted++;
  }
  return { deleted, keptRecent };
}
