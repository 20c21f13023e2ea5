import { stat } from 'node:fs/promises';
import { forEachConcurrent } from '../concurrency/for-each-concurrent.js';
import { DebstashError } from '../errors/debstash-error.js';
import { type FileHash, hashFile, hashStream } from '../files/hash-file.js';
import { checkBucketTrees } from './check-bucket-trees.js';
import type { Context } from './context.js';
import { type DbCheckResult, poolFileName } from './db-maintenance.js';
import { compareHash, type DbProblem, sortProblems } from './db-problem.js';
import { expectedPoolSizes } from './expected-pool-sizes.js';
import { listPublishedFiles, publishedHashProblem } from './published-files.js';

/** Files read at once by default: enough to overlap reads with hashing, which is one core's work. */
export const DEFAULT_DEEP_CONCURRENCY = 8;

export interface DeepCheckResult extends DbCheckResult {
  /** Files read to their end (hard links of one file once). */
  readonly hashedFiles: number;
  readonly hashedBytes: number;
}

/** What a read that failed says, for `found`. */
const errnoOf = (err: unknown): string => (err as NodeJS.ErrnoException | undefined)?.code ?? String(err);

/**
 * `db check --deep`: re-hashes every pool file (against the SHA-256 it is stored under, and the
 * size the store recorded where it did) and every file the publishes list (against their
 * Release), `concurrency` files at a time. The published indexes are hard links of their by-hash
 * names, so a file with several names is read once. Also names what the fast check names:
 * referenced pool files and published files that are absent.
 */
export async function deepCheckDb(ctx: Context, options: { readonly concurrency?: number; readonly signal?: AbortSignal } = {}): Promise<DeepCheckResult> {
  const concurrency = options.concurrency ?? DEFAULT_DEEP_CONCURRENCY;
  const signal = options.signal;
  const referenced = await ctx.store.referencedFiles();
  const sizes = await expectedPoolSizes(ctx);
  const problems: DbProblem[] = [];
  let hashedFiles = 0;
  let hashedBytes = 0;
  const counted = (h: FileHash): FileHash => {
    hashedFiles++;
    hashedBytes += h.size;
    return h;
  };

  const inPool: string[] = [];
  for await (const sha256 of ctx.pool.list()) inPool.push(sha256);
  const stored = new Set(inPool);
  // On-demand files not fetched yet are absent as they should be.
  const deferred = await ctx.store.deferredFiles();
  const missing = [...referenced].filter((h) => !stored.has(h) && !deferred.has(h)).sort();
  for (const sha256 of missing) problems.push({ kind: 'pool-missing', path: poolFileName(ctx, sha256), expected: 'present', found: 'absent' });

  await forEachConcurrent(
    inPool,
    concurrency,
    async (sha256, aborted) => {
      const local = ctx.pool.localPath(sha256);
      const name = local ?? sha256;
      let found: FileHash;
      try {
        found = counted(local !== undefined ? await hashFile(local, aborted) : await hashStream(await ctx.pool.open(sha256)));
      } catch (err) {
        if (aborted.aborted) throw err;
        // Removed meanwhile (a cleanup): only a problem when something refers to it.
        if (errnoOf(err) === 'ENOENT' || (err instanceof DebstashError && err.code === 'DEBSTASH_E_POOL_NOT_FOUND')) {
          if (referenced.has(sha256)) problems.push({ kind: 'pool-missing', path: name, expected: 'present', found: 'absent' });
          return;
        }
        // A remote pool's read checks the hash itself (S3Pool.open) and fails at the end instead.
        const actual = err instanceof DebstashError && err.code === 'DEBSTASH_E_STORAGE_INTEGRITY' ? err.details['actual'] : undefined;
        if (typeof actual === 'string') problems.push({ kind: 'pool-hash', path: name, expected: `sha256:${sha256}`, found: `sha256:${actual}` });
        else problems.push({ kind: 'unreadable', path: name, expected: `sha256:${sha256}`, found: errnoOf(err) });
        return;
      }
      const size = sizes.get(sha256);
      const problem = compareHash({ size: 'pool-size', hash: 'pool-hash' }, name, size === undefined ? { sha256 } : { sha256, size }, found);
      if (problem !== undefined) problems.push(problem);
    },
    signal,
  );

  // With S3 storage the trees served are the bucket's; the data dir holds a working copy.
  const objects = ctx.pool.publicObjects?.();
  if (objects !== undefined) {
    const bucket = await checkBucketTrees(ctx, objects, { deep: true, concurrency, ...(signal !== undefined ? { signal } : {}) });
    problems.push(...bucket.problems);
    hashedFiles += bucket.hashedFiles;
    hashedBytes += bucket.hashedBytes;
  } else {
    await hashLocalTrees(ctx, problems, counted, concurrency, signal);
  }

  const unreferenced = inPool.filter((h) => !referenced.has(h));
  return { missing, unreferenced, referenced: referenced.size, problems: sortProblems(problems), deferredAbsent: [...referenced].filter((h) => !stored.has(h) && deferred.has(h)).length, hashedFiles, hashedBytes };
}

/** `--deep` over the data dir's `public/` trees: every file re-hashed against its Release. */
async function hashLocalTrees(ctx: Context, problems: DbProblem[], counted: (h: FileHash) => FileHash, concurrency: number, signal: AbortSignal | undefined): Promise<void> {
  const published = await listPublishedFiles(ctx);
  problems.push(...published.unreadableStates.map((path): DbProblem => ({ kind: 'unreadable', path, expected: 'publish state', found: 'damaged' })));
  // One read per inode: plain names and by-hash names are hard links of one file.
  const byInode = new Map<string, Promise<FileHash>>();
  await forEachConcurrent(
    published.files,
    concurrency,
    async (f, aborted) => {
      let found: FileHash;
      try {
        const st = await stat(f.path);
        const key = `${st.dev}:${st.ino}`;
        let hashing = byInode.get(key);
        if (hashing === undefined) {
          hashing = hashFile(f.path, aborted).then(counted);
          byInode.set(key, hashing);
        }
        found = await hashing;
      } catch (err) {
        if (aborted.aborted) throw err;
        const errno = errnoOf(err);
        problems.push(errno === 'ENOENT' ? { kind: 'published-missing', path: f.path, expected: 'present', found: 'absent' } : { kind: 'unreadable', path: f.path, expected: `sha256:${f.sha256}`, found: errno });
        return;
      }
      const problem = publishedHashProblem(f, f.path, found);
      if (problem !== undefined) problems.push(problem);
    },
    signal,
  );
}
