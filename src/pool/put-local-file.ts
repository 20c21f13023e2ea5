import { createReadStream } from 'node:fs';
import type { Pool, PoolEntry, PoolExpectation } from './pool.js';

/** Stores a local file by the pool's own `putFile` (a hard link where it can), else by `put` of its bytes. */
export async function putLocalFile(pool: Pool, path: string, expected: PoolExpectation, signal?: AbortSignal): Promise<PoolEntry & { readonly linked: boolean }> {
  if (pool.putFile !== undefined) return pool.putFile(path, expected, signal);
  return { ...(await pool.put(createReadStream(path), expected, signal)), linked: false };
}
