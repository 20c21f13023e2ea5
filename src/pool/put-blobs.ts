import { Readable } from 'node:stream';
import type { Pool, PoolBlob, PoolEntry } from './pool.js';

/** Stores in-memory files through the pool's batch import where it has one, else one `put` each. */
export async function putBlobs(pool: Pool, blobs: readonly PoolBlob[], signal?: AbortSignal): Promise<PoolEntry[]> {
  if (pool.putMany !== undefined) return pool.putMany(blobs, signal);
  const out: PoolEntry[] = [];
  for (const blob of blobs) out.push(await pool.put(Readable.from([blob.bytes]), { sha256: blob.sha256, size: blob.bytes.byteLength }, signal));
  return out;
}
