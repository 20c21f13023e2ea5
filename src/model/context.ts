import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DebstashError } from '../errors/debstash-error.js';
import { openPool } from '../pool/open-pool.js';
import type { Pool } from '../pool/pool.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { StoreLocks } from './store-locks.js';

/** Everything an operation works on. The CLI and the server build one and pass it down. */
export interface Context {
  readonly dataDir: string;
  readonly store: Store;
  /** Locks held in the store, so they hold across every process on it (see StoreLocks). */
  readonly locks: StoreLocks;
  readonly pool: Pool;
  /** Verified upstream index files, kept by SHA-256 so an unchanged index is never fetched twice. */
  readonly indexCacheDir: string;
  /** Published trees: what `serve` (or any static web server) exposes. */
  readonly publicDir: string;
}

/**
 * The layout of a data dir: metadata in SQLite there, or in the PostgreSQL database that
 * DEBSTASH_DATABASE_URL or `database` (debstash.yaml) names; package files in the pool that
 * DEBSTASH_STORAGE_URL or `storage` names (S3), else on the local disk; index cache.
 */
export async function openEmbeddedContext(dataDir: string, database?: string, options: { readonly storage?: string } = {}): Promise<Context> {
  // The path is the user's: a file there (or above) is their mistake, not a debstash bug.
  await mkdir(dataDir, { recursive: true }).catch((err: unknown) => {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new DebstashError('DEBSTASH_E_DATA_DIR', `data dir ${dataDir} cannot be used as a directory (${code})`, { path: dataDir, reason: code }, { cause: err });
  });
  // The pool first: a storage setting that is wrong fails before the store is opened.
  const pool = await openPool(dataDir, options);
  const store = await openStore({ dataDir, database }).catch((err: unknown) => {
    pool.close?.();
    throw err;
  });
  return { dataDir, store, locks: new StoreLocks(store), pool, indexCacheDir: join(dataDir, 'cache', 'indexes'), publicDir: join(dataDir, 'public') };
}

export async function closeContext(ctx: Context): Promise<void> {
  ctx.locks.close();
  await ctx.store.close();
  ctx.pool.close?.();
}
