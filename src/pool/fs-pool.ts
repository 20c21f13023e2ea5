import { randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdir, open, readdir, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { forEachConcurrent } from '../concurrency/for-each-concurrent.js';
import { forEachSliced } from '../concurrency/for-each-sliced.js';
import { DebstashError } from '../errors/debstash-error.js';
import { checkedBlobs, putVerified, writeError } from '../files/put-verified.js';
import { checkSha256, SHA256_HEX, sha256Of } from '../files/sha256.js';
import type { Pool, PoolBlob, PoolEntry, PoolExpectation, PoolVerdict } from './pool.js';
import { syncFilesystem } from './sync-filesystem.js';

/** fsyncs in flight where putMany cannot syncfs: enough to keep libuv's threads busy. */
const BATCH_CONCURRENCY = 16;

function isErrno(err: unknown, code: string): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === code;
}

/** A temp file untouched this long belongs to no live writer (a download in progress writes all the time). */
const STALE_TMP_MS = 60 * 60 * 1000;

/**
 * The embedded pool: `ROOT/ab/cd/<sha256>`. A file is written under `ROOT/.tmp`, hashed while
 * it streams, fsync'd (putMany: a batch synced at once), and renamed into place only when size
 * and SHA-256 match, so a reader never sees a partial or wrong file and a crash leaves only
 * temp files behind.
 */
export class FsPool implements Pool {
  readonly root: string;
  readonly #tmp: string;
  /** Fan-out directories known to exist: a put of many small files would otherwise mkdir each time. */
  readonly #dirs = new Set<string>();

  private constructor(root: string) {
    this.root = root;
    this.#tmp = join(root, '.tmp');
  }

  static async open(root: string): Promise<FsPool> {
    const pool = new FsPool(root);
    await mkdir(pool.#tmp, { recursive: true });
    // Temp files left by a crash are never valid content. Only old ones go: another process
    // sharing the pool (a CLI beside `up`) may be writing the recent ones right now.
    const before = Date.now() - STALE_TMP_MS;
    for (const name of await readdir(pool.#tmp)) {
      const path = join(pool.#tmp, name);
      const st = await stat(path).catch(() => undefined);
      if (st !== undefined && st.mtimeMs < before) await rm(path, { force: true });
    }
    return pool;
  }

  #path(sha256: string): string {
    return join(this.root, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  localPath(sha256: string): string {
    checkSha256(sha256);
    return this.#path(sha256);
  }

  async stat(sha256: string): Promise<PoolEntry | undefined> {
    checkSha256(sha256);
    try {
      const st = await stat(this.#path(sha256));
      return { sha256, size: st.size, storedAt: st.mtime };
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw err;
    }
  }

  async has(sha256: string): Promise<boolean> {
    return (await this.stat(sha256)) !== undefined;
  }

  async put(body: Readable | AsyncIterable<Uint8Array>, expected: PoolExpectation, signal?: AbortSignal): Promise<PoolEntry> {
    checkSha256(expected.sha256);
    const existing = await this.stat(expected.sha256);
    if (existing !== undefined) {
      if (body instanceof Readable) body.destroy();
      const now = new Date();
      await utimes(this.#path(expected.sha256), now, now);
      return { ...existing, storedAt: now };
    }
    const tmp = join(this.#tmp, `${expected.sha256}.${randomBytes(6).toString('hex')}`);
    const size = await putVerified(body, expected, tmp, (verified) => this.#moveIntoPlace(verified, this.#path(expected.sha256)), signal);
    return { sha256: expected.sha256, size };
  }

  /**
   * Writes every new file to a temp file, makes them all durable with one syncfs, renames them
   * into place and syncs once more so that the names are durable too: two flushes per batch
   * where `put` costs an fsync per file. The small writes, mkdirs and renames are made inline
   * in slices (see forEachSliced), not through the thread pool.
   */
  async putMany(blobs: readonly PoolBlob[], signal?: AbortSignal): Promise<PoolEntry[]> {
    const unique = checkedBlobs(blobs);
    const pending = new Map<string, string>();
    try {
      await forEachSliced(unique, ([sha256, bytes]) => {
        if (statSync(this.#path(sha256), { throwIfNoEntry: false }) !== undefined) {
          const now = new Date();
          utimesSync(this.#path(sha256), now, now);
          return;
        }
        const tmp = join(this.#tmp, `${sha256}.${randomBytes(6).toString('hex')}`);
        pending.set(sha256, tmp);
        writeFileSync(tmp, bytes, { flag: 'wx', mode: 0o644 });
      }, signal);
      await this.#syncAll([...pending.values()]);
      signal?.throwIfAborted();
      const fresh = [...pending];
      await forEachSliced(fresh, ([sha256, tmp]) => {
        this.#moveIntoPlace(tmp, this.#path(sha256));
        pending.delete(sha256);
      });
      await this.#syncAll([...new Set(fresh.map(([sha256]) => join(this.#path(sha256), '..')))]);
    } catch (err) {
      for (const tmp of pending.values()) rmSync(tmp, { force: true });
      throw writeError(err, this.#tmp);
    }
    return blobs.map(({ sha256, bytes }) => ({ sha256, size: bytes.byteLength }));
  }

  /** Inline: two small calls, not worth the thread pool's hand-off. */
  #moveIntoPlace(tmp: string, dest: string): void {
    const dir = join(dest, '..');
    if (!this.#dirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      this.#dirs.add(dir);
    }
    try {
      renameSync(tmp, dest);
    } catch (err) {
      // The directory was removed behind our back (e.g. by cleanup): make it again, once.
      if (!isErrno(err, 'ENOENT')) throw err;
      mkdirSync(dir, { recursive: true });
      renameSync(tmp, dest);
    }
  }

  /** Makes `paths` (files or directories of the pool) durable: one syncfs, or an fsync each where that cannot be run. */
  async #syncAll(paths: readonly string[]): Promise<void> {
    if (paths.length === 0 || (await syncFilesystem(this.root))) return;
    await forEachConcurrent(paths, BATCH_CONCURRENCY, async (path) => {
      const fh = await open(path, 'r');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
    });
  }

  async open(sha256: string, range?: { readonly start: number; readonly end: number }): Promise<Readable> {
    const path = this.#path(sha256);
    if ((await this.stat(sha256)) === undefined) {
      throw new DebstashError('DEBSTASH_E_POOL_NOT_FOUND', `no file ${sha256} in the pool`, { sha256 });
    }
    return createReadStream(path, range ? { start: range.start, end: range.end } : {});
  }

  async verify(sha256: string, signal?: AbortSignal): Promise<PoolVerdict> {
    checkSha256(sha256);
    try {
      return (await sha256Of(createReadStream(this.#path(sha256), signal === undefined ? {} : { signal }))) === sha256 ? 'ok' : 'mismatch';
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return 'missing';
      throw err;
    }
  }

  describe(): string {
    return `local disk ${this.root}`;
  }

  async delete(sha256: string): Promise<void> {
    checkSha256(sha256);
    await rm(this.#path(sha256), { force: true });
  }

  async *list(): AsyncIterable<string> {
    const level = async (dir: string): Promise<string[]> =>
      (await readdir(dir).catch((err: unknown) => (isErrno(err, 'ENOENT') ? [] : Promise.reject(err)))).sort();
    for (const a of await level(this.root)) {
      if (!/^[0-9a-f]{2}$/.test(a)) continue;
      for (const b of await level(join(this.root, a))) {
        for (const name of await level(join(this.root, a, b))) if (SHA256_HEX.test(name)) yield name;
      }
    }
  }
}
