import type { Readable } from 'node:stream';
import type { ExpectedContent } from '../files/put-verified.js';
import type { PublicObjects } from './bucket-objects.js';

/** What the caller knows a file must be before it may enter the pool. */
export type PoolExpectation = ExpectedContent;

/** A whole file held in memory, for Pool.putMany. */
export interface PoolBlob {
  readonly bytes: Uint8Array;
  /** What the bytes must hash to. */
  readonly sha256: string;
}

/** What a deep check found: the bytes hash to the name, they do not, or there is no such file. */
export type PoolVerdict = 'ok' | 'mismatch' | 'missing';

/** A file in the pool, by content. */
export interface PoolEntry {
  readonly sha256: string;
  readonly size: number;
  /**
   * When the file was last stored, or stored again (a put of a file already there refreshes
   * it): cleanup leaves recent files alone, since an operation still running may be about
   * to refer to them. Absent where a backend cannot say.
   */
  readonly storedAt?: Date;
}

/**
 * Content-addressed storage of package files by SHA-256, shared by every mirror, repo and
 * snapshot: a file is stored once however many refer to it. Implementations: the local
 * filesystem (embedded) and S3 (scale-out); everything above is written against this.
 */
export interface Pool {
  has(sha256: string): Promise<boolean>;
  /** Size of the stored file, or undefined when absent. */
  stat(sha256: string): Promise<PoolEntry | undefined>;
  /**
   * `stat` of many files, by hash, the absent ones left out: for a backend where a request a
   * file is costly (S3), fewer requests. Optional: callers fall back to `stat` (see statMany
   * in stat-many.ts).
   */
  statMany?(sha256s: readonly string[], signal?: AbortSignal): Promise<Map<string, PoolEntry>>;
  /**
   * Stores the bytes of `body` if they hash to `expected.sha256` (and have `expected.size`).
   * On any failure nothing is left in the pool, not even a partial file. Storing a file that
   * is already there is a no-op that still consumes `body`.
   */
  put(body: Readable | AsyncIterable<Uint8Array>, expected: PoolExpectation, signal?: AbortSignal): Promise<PoolEntry>;
  /**
   * Stores many small files at once, each as `put` would store it (same checks, never a partial
   * file), made durable as a batch: one flush for the lot instead of one per file. Resolves once
   * every file is durably in the pool, in the order given. On failure some may have been stored
   * (harmless: the pool is content-addressed). Optional: callers fall back to `put` (see
   * putBlobs in put-blobs.ts).
   */
  putMany?(blobs: readonly PoolBlob[], signal?: AbortSignal): Promise<PoolEntry[]>;
  /**
   * Stores the local file at `path` as `put` would (same checks, never a partial or wrong
   * file), by hard link where the pool is on the same filesystem, so importing a large pool
   * costs no copy. Optional: callers fall back to `put` of the file's bytes (see putLocalFile
   * in put-local-file.ts).
   */
  putFile?(path: string, expected: PoolExpectation, signal?: AbortSignal): Promise<PoolEntry & { readonly linked: boolean }>;
  /** Reads a stored file; `start`/`end` (inclusive) select a byte range. */
  open(sha256: string, range?: { readonly start: number; readonly end: number }): Promise<Readable>;
  delete(sha256: string): Promise<void>;
  /** Every stored hash, for garbage collection and `db check`. */
  list(): AsyncIterable<string>;
  /** A local path to hard-link from when the pool is on the local filesystem; undefined otherwise. */
  localPath(sha256: string): string | undefined;
  /**
   * Every stored file with its size and age, where the listing carries them (S3's does): one
   * listing instead of a `stat` a file for `db check` and `db cleanup`. Optional.
   */
  entries?(): AsyncIterable<PoolEntry>;
  /** Reads the whole stored file and checks it hashes to its name. Optional. */
  verify?(sha256: string, signal?: AbortSignal): Promise<PoolVerdict>;
  /**
   * Where published trees live when they are not in the data dir: the bucket of an S3 pool,
   * shared by every replica (see docs/s3.md). Absent for the local disk.
   */
  publicObjects?(): PublicObjects;
  /** Where the files are, for `db check` and `/readyz` ("local disk DIR", "s3://BUCKET/PREFIX at ..."). Optional. */
  describe?(): string;
  /** Releases connections; the pool is not used afterwards. Optional. */
  close?(): void;
}
