import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DebstashError } from '../errors/debstash-error.js';
import { putVerified } from '../files/put-verified.js';
import { checkSha256, SHA256_HEX, sha256Of } from '../files/sha256.js';
import type { Pool, PoolEntry, PoolExpectation } from '../pool/pool.js';

const TMP_PREFIX = '.tmp-';

/**
 * Compressed index files as fetched, in one flat directory, each named by its SHA-256, so that
 * a later run whose Release lists the same hash reads it from disk instead of the network.
 * Files are written under a unique temp name, verified while they stream, fsync'd and renamed
 * into place, so a name always holds exactly the bytes it names. Several processes and
 * concurrent fetches may share the directory: nothing here removes another writer's temp file.
 * Implements Pool so that UpstreamClient.download can fill it.
 */
export class IndexCache implements Pool {
  readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
  }

  static async open(dir: string): Promise<IndexCache> {
    await mkdir(dir, { recursive: true });
    return new IndexCache(dir);
  }

  localPath(sha256: string): string {
    checkSha256(sha256);
    return join(this.dir, sha256);
  }

  async stat(sha256: string): Promise<PoolEntry | undefined> {
    try {
      const st = await stat(this.localPath(sha256));
      return { sha256, size: st.size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async has(sha256: string): Promise<boolean> {
    return (await this.stat(sha256)) !== undefined;
  }

  /**
   * Whether the cached copy is present and still has exactly the expected bytes; a damaged one
   * (disk trouble, someone editing it) is removed so that it is fetched again.
   */
  async holds(expected: PoolEntry, signal?: AbortSignal): Promise<boolean> {
    const st = await this.stat(expected.sha256);
    if (st === undefined) return false;
    if (st.size === expected.size) {
      if ((await sha256Of(createReadStream(this.localPath(expected.sha256), signal === undefined ? {} : { signal }))) === expected.sha256) return true;
    }
    await this.delete(expected.sha256);
    return false;
  }

  async put(body: Readable | AsyncIterable<Uint8Array>, expected: PoolExpectation, signal?: AbortSignal): Promise<PoolEntry> {
    checkSha256(expected.sha256);
    const existing = await this.stat(expected.sha256);
    if (existing !== undefined && (expected.size === undefined || existing.size === expected.size)) {
      if (body instanceof Readable) body.destroy();
      return existing;
    }
    const tmp = join(this.dir, `${TMP_PREFIX}${expected.sha256}.${randomBytes(6).toString('hex')}`);
    const size = await putVerified(body, expected, tmp, (verified) => rename(verified, this.localPath(expected.sha256)), signal);
    return { sha256: expected.sha256, size };
  }

  async open(sha256: string, range?: { readonly start: number; readonly end: number }): Promise<Readable> {
    if ((await this.stat(sha256)) === undefined) {
      throw new DebstashError('DEBSTASH_E_POOL_NOT_FOUND', `no cached index ${sha256} in ${this.dir}`, { sha256 });
    }
    return createReadStream(this.localPath(sha256), range === undefined ? {} : { start: range.start, end: range.end });
  }

  async delete(sha256: string): Promise<void> {
    await rm(this.localPath(sha256), { force: true });
  }

  async *list(): AsyncIterable<string> {
    for (const name of await readdir(this.dir)) if (SHA256_HEX.test(name)) yield name;
  }

  /** Removes every cached file not in `keep` (the hashes the current Releases list). */
  async prune(keep: ReadonlySet<string>): Promise<number> {
    let removed = 0;
    for await (const sha of this.list()) {
      if (!keep.has(sha)) {
        await this.delete(sha);
        removed++;
      }
    }
    return removed;
  }
}
