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

/**
 * `db cleanup`: deletes pool files nothing refers to. References are read again after the
 * pool was listed, so a file committed meanwhile stays. A file downloaded by an update that
 * has not committed yet is not referenced either: run cleanup when no update runs.
 */
export async function cleanupDb(ctx: Context): Promise<{ readonly deleted: number }> {
  const { unreferenced } = await checkDb(ctx);
  const referenced = await ctx.store.referencedFiles();
  let deleted = 0;
  for (const sha256 of unreferenced) {
    if (referenced.has(sha256)) continue;
    await ctx.pool.delete(sha256);
    deleted++;
  }
  return { deleted };
}
