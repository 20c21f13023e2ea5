import { createHash, randomBytes } from 'node:crypto';
import { copyFile, link, mkdir, open, readdir, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createReadStream, createWriteStream } from 'node:fs';
import { sha256Of } from '../files/sha256.js';
import type { Pool } from '../pool/pool.js';
import { DebstashError } from '../errors/debstash-error.js';
import { writeError } from './publish-error.js';

export function isErrno(err: unknown, ...codes: string[]): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && codes.includes(code);
}

/**
 * File operations on a published tree that readers never see half done: every file is made
 * under a private temporary directory (on the same filesystem) and renamed into place, so a
 * path holds either the old file or the complete new one. The temporary directory belongs to
 * whoever holds the publish lock, which empties it first (what a crash left there).
 */
export class TreeFiles {
  readonly #tmp: string;
  readonly #dirs = new Set<string>();
  #n = 0;

  constructor(tmpDir: string) {
    this.#tmp = tmpDir;
  }

  /** Empties (and creates) the temporary directory. Only the lock holder may call it. */
  async reset(): Promise<void> {
    await rm(this.#tmp, { recursive: true, force: true });
    await mkdir(this.#tmp, { recursive: true });
  }

  #tmpName(): string {
    return join(this.#tmp, `${process.pid}-${++this.#n}-${randomBytes(4).toString('hex')}`);
  }

  async ensureDir(dir: string): Promise<void> {
    if (this.#dirs.has(dir)) return;
    await mkdir(dir, { recursive: true }).catch((err: unknown) => {
      throw writeError(err, dir);
    });
    this.#dirs.add(dir);
  }

  /** Writes `data` (pieces, in order) to `dest` atomically; with `durable`, fsyncs it before the rename. */
  async write(dest: string, data: string | Uint8Array | readonly Uint8Array[], durable = false): Promise<void> {
    const tmp = this.#tmpName();
    try {
      const fh = await open(tmp, 'wx', 0o644);
      try {
        if (typeof data === 'string' || data instanceof Uint8Array) {
          await fh.writeFile(data);
        } else {
          for (const piece of data as readonly Uint8Array[]) {
            for (let at = 0; at < piece.length; ) at += (await fh.write(piece, at, piece.length - at)).bytesWritten;
          }
        }
        if (durable) await fh.sync();
      } finally {
        await fh.close();
      }
      await this.ensureDir(dirname(dest));
      await rename(tmp, dest);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw writeError(err, dest);
    }
  }

  /** Makes `dest` another name of the file `src` (replacing what `dest` was), atomically. */
  async linkOver(src: string, dest: string): Promise<void> {
    const tmp = this.#tmpName();
    try {
      await link(src, tmp);
      await this.ensureDir(dirname(dest));
      await rename(tmp, dest);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw writeError(err, dest);
    }
  }

  /**
   * Puts pool file `sha256` at `dest`: a hard link to the pool's file when the pool is local
   * and on the same filesystem, else a copy (made aside, then renamed). A different file
   * already at `dest` is replaced atomically; the pool's own file there is left alone.
   */
  async placePoolFile(pool: Pool, sha256: string, size: number, dest: string): Promise<'created' | 'copied' | 'replaced' | 'present'> {
    await this.ensureDir(dirname(dest));
    const src = pool.localPath(sha256);
    if (src !== undefined) {
      try {
        await link(src, dest);
        return 'created';
      } catch (err) {
        if (isErrno(err, 'ENOENT')) {
          if ((await pool.stat(sha256)) === undefined) throw missing(sha256, dest);
          throw writeError(err, dest);
        }
        if (isErrno(err, 'EEXIST')) {
          const [a, b] = await Promise.all([stat(src), stat(dest)]);
          if (a.ino === b.ino && a.dev === b.dev) return 'present';
          await this.linkOrCopyOver(pool, sha256, size, src, dest);
          return 'replaced';
        }
        if (!isErrno(err, 'EXDEV', 'EPERM', 'EMLINK', 'ENOTSUP', 'EOPNOTSUPP')) throw writeError(err, dest);
      }
    }
    const there = await stat(dest).catch(() => undefined);
    // A pool with no local files (S3): a copy already there is kept when its bytes are right,
    // which costs a local read instead of a download.
    if (src === undefined && there !== undefined && there.size === size && (await sha256Of(createReadStream(dest)).catch(() => '')) === sha256) return 'present';
    const existed = there !== undefined;
    await this.#copyOver(pool, sha256, size, src, dest);
    return existed ? 'replaced' : 'copied';
  }

  async linkOrCopyOver(pool: Pool, sha256: string, size: number, src: string, dest: string): Promise<void> {
    try {
      await this.linkOver(src, dest);
    } catch {
      await this.#copyOver(pool, sha256, size, src, dest);
    }
  }

  async #copyOver(pool: Pool, sha256: string, size: number, src: string | undefined, dest: string): Promise<void> {
    const tmp = this.#tmpName();
    try {
      if (src !== undefined) {
        await copyFile(src, tmp);
      } else {
        // Bytes from a remote pool are hashed on the way: an object damaged behind the pool's
        // back never becomes a file of the export.
        const hash = createHash('sha256');
        await pipeline(
          await pool.open(sha256),
          async function* (source: AsyncIterable<Buffer>) {
            for await (const chunk of source) {
              hash.update(chunk);
              yield chunk;
            }
          },
          createWriteStream(tmp, { flags: 'wx', mode: 0o644 }),
        );
        const actual = hash.digest('hex');
        if (actual !== sha256) throw new DebstashError('DEBSTASH_E_STORAGE_INTEGRITY', `pool file ${sha256} read back with SHA-256 ${actual}`, { sha256, actual });
      }
      const st = await stat(tmp);
      if (st.size !== size) throw new DebstashError('DEBSTASH_E_POOL_HASH_MISMATCH', `pool file ${sha256} has ${st.size} bytes, not ${size}`, { sha256, size });
      await rename(tmp, dest);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      if (isErrno(err, 'ENOENT') && (await pool.stat(sha256)) === undefined) throw missing(sha256, dest);
      throw writeError(err, dest);
    }
  }
}

function missing(sha256: string, dest: string): DebstashError {
  return new DebstashError('DEBSTASH_E_POOL_NOT_FOUND', `no file ${sha256} in the pool (wanted for ${dest})`, { sha256 });
}

/** Removes a file; absent is fine. */
export async function removeFile(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    throw err;
  }
}

/** Removes `dir` and then its parents up to (not including) `stop` while they are empty. */
export async function pruneEmptyDirs(dir: string, stop: string): Promise<void> {
  let d = dir;
  while (d.length > stop.length && d.startsWith(stop)) {
    try {
      await rmdir(d);
    } catch {
      return;
    }
    d = dirname(d);
  }
}

/** Entries of a directory; none when it does not exist. */
export async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ENOTDIR')) return [];
    throw err;
  }
}
