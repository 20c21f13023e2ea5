import { stat } from 'node:fs/promises';
import { forEachConcurrent } from '../concurrency/for-each-concurrent.js';
import type { PoolEntry } from '../pool/pool.js';
import { checkBucketTrees } from './check-bucket-trees.js';
import type { Context } from './context.js';
import { type DbProblem, sortProblems } from './db-problem.js';
import { expectedPoolSizes } from './expected-pool-sizes.js';
import { listPublishedFiles, publishedSizeProblem } from './published-files.js';

export interface DbCheckResult {
  /** Files something refers to that the pool lacks (or holds with the wrong size). */
  readonly missing: readonly string[];
  /** Pool files nothing refers to any more: what `db cleanup` would delete. */
  readonly unreferenced: readonly string[];
  readonly referenced: number;
  /** Everything found wrong, each named (pool files that are missing among them). */
  readonly problems: readonly DbProblem[];
  /** Referenced files absent from the pool as expected: on-demand files not fetched yet (or evicted). */
  readonly deferredAbsent: number;
}

/** stats in flight: enough to keep libuv's threads busy on a pool of many small files. */
const STAT_CONCURRENCY = 16;

/** Where a pool file is, for people: its local path, or its hash where the pool has none. */
export function poolFileName(ctx: Context, sha256: string): string {
  return ctx.pool.localPath(sha256) ?? sha256;
}

/**
 * `db check`: compares what the store refers to with what the pool holds, and what the
 * publishes list with what their trees hold, by metadata only (presence and size: one stat a
 * file). `db check --deep` (deep-check.ts) reads every byte.
 */
export async function checkDb(ctx: Context): Promise<DbCheckResult> {
  const referenced = await ctx.store.referencedFiles();
  const sizes = await expectedPoolSizes(ctx);
  const deferred = await ctx.store.deferredFiles();
  let deferredAbsent = 0;
  const missing: string[] = [];
  const problems: DbProblem[] = [];
  // A pool that lists sizes with the names (S3) answers from one listing, not a HEAD a file.
  const listed = await listedEntries(ctx);
  await forEachConcurrent(referenced, STAT_CONCURRENCY, async (sha256) => {
    const entry = listed !== undefined ? listed.get(sha256) : await ctx.pool.stat(sha256);
    const expected = sizes.get(sha256);
    if (entry === undefined && deferred.has(sha256)) {
      deferredAbsent++;
    } else if (entry === undefined) {
      missing.push(sha256);
      problems.push({ kind: 'pool-missing', path: poolFileName(ctx, sha256), expected: 'present', found: 'absent' });
    } else if (expected !== undefined && entry.size !== expected) {
      problems.push({ kind: 'pool-size', path: poolFileName(ctx, sha256), expected: `size:${expected}`, found: `size:${entry.size}` });
    }
  });
  const unreferenced: string[] = [];
  if (listed !== undefined) {
    for (const sha256 of listed.keys()) if (!referenced.has(sha256)) unreferenced.push(sha256);
  } else {
    for await (const sha256 of ctx.pool.list()) if (!referenced.has(sha256)) unreferenced.push(sha256);
  }
  // With S3 storage the trees served are the bucket's; the data dir holds a working copy.
  const objects = ctx.pool.publicObjects?.();
  if (objects !== undefined) problems.push(...(await checkBucketTrees(ctx, objects)).problems);
  else await checkLocalTrees(ctx, problems);
  return { missing: missing.sort(), unreferenced, referenced: referenced.size, problems: sortProblems(problems), deferredAbsent };
}

/** The fast check of the data dir's `public/` trees: one stat a file. */
async function checkLocalTrees(ctx: Context, problems: DbProblem[]): Promise<void> {
  const published = await listPublishedFiles(ctx);
  problems.push(...published.unreadableStates.map((path): DbProblem => ({ kind: 'unreadable', path, expected: 'publish state', found: 'damaged' })));
  await forEachConcurrent(published.files, STAT_CONCURRENCY, async (f) => {
    const st = await stat(f.path).catch((err: unknown) => (err as NodeJS.ErrnoException).code ?? 'error');
    if (typeof st === 'string') {
      problems.push(st === 'ENOENT' ? { kind: 'published-missing', path: f.path, expected: 'present', found: 'absent' } : { kind: 'unreadable', path: f.path, expected: 'present', found: st });
    } else {
      const problem = publishedSizeProblem(f, f.path, st.size);
      if (problem !== undefined) problems.push(problem);
    }
  });
}

/** Every pool file with its size and age, where the pool lists them (Pool.entries); else undefined. */
async function listedEntries(ctx: Context): Promise<Map<string, PoolEntry> | undefined> {
  if (ctx.pool.entries === undefined) return undefined;
  const listed = new Map<string, PoolEntry>();
  for await (const e of ctx.pool.entries()) listed.set(e.sha256, e);
  return listed;
}

/** Files stored more recently than this are kept by default: an update may be about to commit them. */
export const DEFAULT_CLEANUP_MIN_AGE_MS = 60 * 60 * 1000;

export interface CleanupResult {
  /** Files removed; with `dryRun`, the files that would be. */
  readonly deleted: number;
  /** Their bytes: what the pool frees (or would). */
  readonly bytes: number;
  /** Unreferenced files left because they were stored within `minAgeMs`. */
  readonly keptRecent: number;
  /** The SHA-256 of each file removed (or that would be), in pool order. */
  readonly files: readonly string[];
  /** On-demand files evicted (or that would be) by age or budget, oldest first; see evictOnDemand. */
  readonly evicted: readonly string[];
  readonly evictedBytes: number;
  readonly dryRun: boolean;
}

export interface CleanupOptions {
  readonly minAgeMs?: number;
  readonly now?: Date;
  readonly dryRun?: boolean;
  /** Evict on-demand files stored longer ago than this. */
  readonly onDemandMaxAgeMs?: number;
  /** Evict the oldest on-demand files until those left take at most this many bytes. */
  readonly onDemandBudgetBytes?: number;
}

/**
 * `db cleanup`: deletes pool files nothing refers to. References are read again after the
 * pool was listed, so a file committed meanwhile stays. A file an update or upload has stored
 * but not committed yet is not referenced either; it was stored (or stored again) recently,
 * so files younger than `minAgeMs` stay. The age is the pool's `storedAt`: a local file's
 * mtime, an S3 object's LastModified (set by the endpoint's clock; a put of an object already
 * there renews it, see S3Pool). Not the store: it has no row for a file before the commit
 * that refers to it, which is exactly the file this protects. `dryRun` decides the same way
 * and removes nothing.
 */
export async function cleanupDb(ctx: Context, options: CleanupOptions = {}): Promise<CleanupResult> {
  const { unreferenced } = await checkDb(ctx);
  const referenced = await ctx.store.referencedFiles();
  // Sizes and ages as listed now (after the references were read again), else a stat a file.
  const listed = await listedEntries(ctx);
  const cutoff = (options.now ?? new Date()).getTime() - (options.minAgeMs ?? DEFAULT_CLEANUP_MIN_AGE_MS);
  const dryRun = options.dryRun === true;
  const files: string[] = [];
  let bytes = 0;
  let keptRecent = 0;
  for (const sha256 of unreferenced) {
    if (referenced.has(sha256)) continue;
    const entry = listed !== undefined ? listed.get(sha256) : await ctx.pool.stat(sha256);
    if (entry === undefined) continue;
    if (entry.storedAt !== undefined && entry.storedAt.getTime() > cutoff) {
      keptRecent++;
      continue;
    }
    if (!dryRun) await ctx.pool.delete(sha256);
    files.push(sha256);
    bytes += entry.size;
  }
  const evicted = options.onDemandMaxAgeMs !== undefined || options.onDemandBudgetBytes !== undefined ? await evictOnDemand(ctx, listed, options) : { files: [], bytes: 0 };
  return { deleted: files.length, bytes, keptRecent, files, evicted: evicted.files, evictedBytes: evicted.bytes, dryRun };
}

/**
 * Evicts on-demand files (those only on-demand mirrors list: Store.deferredFiles), oldest
 * stored first: every one older than `onDemandMaxAgeMs`, then more until the rest fit in
 * `onDemandBudgetBytes`. The next request for one fetches it again. cache-on-serve files,
 * files a repo or an immediate mirror lists, are never evicted; the list is read again before
 * anything is deleted, so a file an immediate mirror committed meanwhile stays.
 */
async function evictOnDemand(ctx: Context, listed: Map<string, PoolEntry> | undefined, options: CleanupOptions): Promise<{ files: string[]; bytes: number }> {
  const now = (options.now ?? new Date()).getTime();
  const stored: PoolEntry[] = [];
  for (const [sha256, policy] of await ctx.store.deferredFiles()) {
    if (policy !== 'on-demand') continue;
    const entry = listed !== undefined ? listed.get(sha256) : await ctx.pool.stat(sha256);
    if (entry !== undefined) stored.push(entry);
  }
  stored.sort((a, b) => (a.storedAt?.getTime() ?? 0) - (b.storedAt?.getTime() ?? 0));
  let total = stored.reduce((sum, e) => sum + e.size, 0);
  const chosen = stored.filter((e) => {
    const old = options.onDemandMaxAgeMs !== undefined && now - (e.storedAt?.getTime() ?? 0) > options.onDemandMaxAgeMs;
    const over = options.onDemandBudgetBytes !== undefined && total > options.onDemandBudgetBytes;
    if (old || over) total -= e.size;
    return old || over;
  });
  const still = await ctx.store.deferredFiles();
  const files: string[] = [];
  let bytes = 0;
  for (const e of chosen) {
    if (still.get(e.sha256) !== 'on-demand') continue;
    if (options.dryRun !== true) await ctx.pool.delete(e.sha256);
    files.push(e.sha256);
    bytes += e.size;
  }
  return { files, bytes };
}
