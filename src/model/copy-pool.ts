import { forEachConcurrent } from '../concurrency/for-each-concurrent.js';
import { DebstashError } from '../errors/debstash-error.js';
import { silentProgress, type ProgressSink } from './progress.js';
import type { Pool, PoolEntry } from '../pool/pool.js';

/** What `db migrate --storage` did with the pool. */
export interface PoolCopyResult {
  /** Files in the source pool. */
  readonly files: number;
  readonly bytes: number;
  /** Uploaded by this run. */
  readonly copied: number;
  readonly bytesCopied: number;
  /** Already in the target with the right size (an earlier, perhaps interrupted, run). */
  readonly skipped: number;
  /** Objects of the target that had the key but another size (damaged): deleted and copied again. */
  readonly replaced: number;
}

export interface CopyPoolOptions {
  /** Files read and uploaded at once. */
  readonly concurrency: number;
  readonly signal?: AbortSignal;
  readonly progress?: ProgressSink;
}

/** Every file of a pool with its size: one listing where the pool has one, else a stat a file. */
async function* sizedEntries(pool: Pool): AsyncIterable<PoolEntry> {
  if (pool.entries !== undefined) {
    yield* pool.entries();
    return;
  }
  for await (const sha256 of pool.list()) {
    const entry = await pool.stat(sha256);
    if (entry !== undefined) yield entry;
  }
}

/**
 * Copies every file of `source` into `target` (the local pool into a bucket). Resumable and
 * idempotent: one listing of the target first, and what it holds under the same key with the
 * same size is skipped; a key is a SHA-256 and the target's put verifies before an object
 * appears, so the size is all that is left to compare. Every copy goes through `target.put`,
 * which hashes the bytes read from the source: a damaged source file fails the copy with a
 * coded error instead of entering the target. Interrupted (Ctrl-C, a kill), it leaves only
 * whole, verified objects; the next run goes on from there.
 */
export async function copyPool(source: Pool, target: Pool, options: CopyPoolOptions): Promise<PoolCopyResult> {
  const progress = options.progress ?? silentProgress;
  progress({ type: 'phase', phase: 'pool', message: `listing ${target.describe?.() ?? 'the target pool'}` });
  const have = new Map<string, number>();
  for await (const e of sizedEntries(target)) have.set(e.sha256, e.size);
  const all: PoolEntry[] = [];
  for await (const e of sizedEntries(source)) all.push(e);
  const todo = all.filter((e) => have.get(e.sha256) !== e.size);
  const bytes = all.reduce((n, e) => n + e.size, 0);
  const bytesTotal = todo.reduce((n, e) => n + e.size, 0);
  progress({ type: 'phase', phase: 'pool', message: `copying ${todo.length} of ${all.length} pool files to ${target.describe?.() ?? 'the target pool'}` });
  let done = 0;
  let bytesDone = 0;
  let replaced = 0;
  const report = (): void => progress({ type: 'progress', phase: 'pool', done, total: todo.length, bytesDone, bytesTotal });
  report();
  try {
    await forEachConcurrent(
      todo,
      options.concurrency,
      async (e, signal) => {
        if (have.has(e.sha256)) {
          // A put of a key already there keeps the object: one of the wrong size must go first.
          await target.delete(e.sha256);
          replaced++;
        }
        await target.put(await source.open(e.sha256), { sha256: e.sha256, size: e.size }, signal);
        done++;
        bytesDone += e.size;
        report();
      },
      options.signal,
    );
  } catch (err) {
    if (options.signal?.aborted !== true) throw err;
    throw new DebstashError('DEBSTASH_E_CANCELLED', `pool copy interrupted after ${done} of ${todo.length} files; every object in the bucket is whole and verified, run the same command again to go on`, { copied: done, remaining: todo.length - done }, { cause: err });
  }
  return { files: all.length, bytes, copied: done, bytesCopied: bytesDone, skipped: all.length - todo.length, replaced };
}
