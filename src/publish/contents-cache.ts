import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readDebFileList } from '../deb/contents-files.js';
import type { Pool } from '../pool/pool.js';
import { Semaphore } from '../concurrency/semaphore.js';
import { isErrno } from './tree-files.js';

/** Where a publish gets the paths each package file installs (for Contents indexes). */
export interface ContentsSource {
  /** The paths the .deb with this SHA-256 installs; `describe` names it in errors. */
  pathsOf(sha256: string, describe: string): Promise<readonly string[]>;
}

/**
 * Package file lists, kept by the .deb's SHA-256 under `dir` (`<dir>/ab/<sha256>`, a JSON
 * array of paths), so that a publish reads each .deb from the pool once in the life of the
 * data dir: a .deb's bytes never change under its hash. Missing lists are read from the pool
 * several at a time (xz data is decoded by child processes, gzip on the thread pool, so this
 * spreads over the cores). Each list is written aside and renamed into place; an unreadable
 * cached list is read again from the .deb.
 */
export class ContentsCache implements ContentsSource {
  /** Lists found in the cache, and lists read from .debs (for reports and tests). */
  readonly stats = { cached: 0, read: 0 };
  readonly #dir: string;
  readonly #pool: Pool;
  readonly #limiter: Semaphore;
  readonly #pending = new Map<string, Promise<readonly string[]>>();
  readonly #dirs = new Set<string>();
  #lookedUp = 0;

  constructor(dir: string, pool: Pool, concurrency = 2 * availableParallelism()) {
    this.#dir = dir;
    this.#pool = pool;
    this.#limiter = new Semaphore(concurrency);
  }

  pathsOf(sha256: string, describe: string): Promise<readonly string[]> {
    if (!/^[0-9a-f]{64}$/.test(sha256)) return Promise.reject(new Error(`internal: ${describe} has no valid SHA-256`));
    let p = this.#pending.get(sha256);
    if (p === undefined) {
      p = this.#lookUp(sha256, describe);
      this.#pending.set(sha256, p);
    }
    return p;
  }

  /*
   * Cache files are a few hundred bytes and a publish wants tens of thousands: read and written
   * synchronously, which is several times faster here than fs/promises (one thread-pool trip
   * per open, stat, read and close), yielding to the event loop every YIELD_EVERY lists so that
   * a server publishing stays responsive.
   */
  async #lookUp(sha256: string, describe: string): Promise<readonly string[]> {
    if (++this.#lookedUp % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
    const dir = join(this.#dir, sha256.slice(0, 2));
    const file = join(dir, sha256);
    const cached = readCached(file);
    if (cached !== undefined) {
      this.stats.cached++;
      return cached;
    }
    const paths = await this.#limiter.run(async () => readDebFileList(await this.#pool.open(sha256), { source: describe }));
    this.stats.read++;
    if (!this.#dirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      this.#dirs.add(dir);
    }
    const tmp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify(paths));
      renameSync(tmp, file);
    } catch (err) {
      try {
        unlinkSync(tmp);
      } catch {
        // never made
      }
      throw err;
    }
    return paths;
  }
}

const YIELD_EVERY = 256;

/** The cached list in `file`; undefined when there is none or it is damaged. */
function readCached(file: string): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined;
  } catch {
    return undefined;
  }
}
