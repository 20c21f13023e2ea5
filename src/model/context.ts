import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DebstashError } from '../errors/debstash-error.js';
import { FsPool } from '../pool/fs-pool.js';
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
 * DEBSTASH_DATABASE_URL or `database` (debstash.yaml) names; filesystem pool, index cache.
 */
export async function openEmbeddedContext(dataDir: string, database?: string): Promise<Context> {
  // The path is the user's: a file there (or above) is their mistake, not a debstash bug.
  await mkdir(dataDir, { recursive: true }).catch((err: unknown) => {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new DebstashError('DEBSTASH_E_DATA_DIR', `data dir ${dataDir} cannot be used as a directory (${code})`, { path: dataDir, reason: code }, { cause: err });
  });
  const store = await openStore({ dataDir, database });
  const pool = await FsPool.open(join(dataDir, 'pool'));
  return { dataDir, store, locks: new StoreLocks(store), pool, indexCacheDir: join(dataDir, 'cache', 'indexes'), publicDir: join(dataDir, 'public') };
}

export async function closeContext(ctx: Context): Promise<void> {
  ctx.locks.close();
  await ctx.store.close();
}
