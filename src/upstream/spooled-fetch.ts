import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ContentCheck } from '../files/put-verified.js';
import type { Pool, PoolEntry, PoolExpectation } from '../pool/pool.js';
import { putLocalFile } from '../pool/put-local-file.js';
import type { UpstreamClient } from './http-client.js';

/** Bytes one read of the spool hands a reader: the server's send slice. */
const READ_SLICE = 256 * 2 ** 10;

/** Why a fetch failed before its bytes verified: what every reader then fails with. */
interface SpoolFailure {
  readonly error: unknown;
  /** The bytes were not the signed ones (size or SHA-256). */
  readonly mismatch: boolean;
}

/**
 * One upstream file fetched for any number of readers at once: the bytes go to a spool file as
 * they arrive, checked against the signed size and SHA-256 (ContentCheck) on the way, and each
 * reader reads the spool from where it is. Readers get every byte but the file's last one while
 * it streams; that byte is released only once the whole file verified, so no reader ever holds
 * a complete file whose hash is wrong: on a mismatch (or any failure) every reader fails, which
 * the server turns into a cut connection. A verified file is then stored in `pool` (a hard link
 * of the spool where the pool is on the same filesystem) and the spool removed.
 *
 * The upstream fetch runs to its end even when every reader went away: the file is in the pool
 * for the next client.
 */
export class SpooledFetch {
  /** Resolves when the first bytes arrived (or an empty file verified); rejects when none did. */
  readonly started: Promise<void>;
  /** Resolves once the file is verified and stored in the pool; rejects on any failure. */
  readonly done: Promise<PoolEntry>;

  readonly #started = settleable<void>();
  readonly #done = settleable<PoolEntry>();
  #written = 0;
  #verified = false;
  #failure: SpoolFailure | undefined;
  #readers = 0;
  #finished = false;
  #handle: FileHandle | undefined;
  #wake: (() => void)[] = [];

  private constructor(
    private readonly url: string,
    private readonly expected: Required<PoolExpectation>,
    private readonly pool: Pool,
    private readonly spool: string,
  ) {
    this.started = this.#started.promise;
    this.done = this.#done.promise;
  }

  /** Starts fetching `url` into a new spool file under `spoolDir`, then into `pool`. */
  static start(client: UpstreamClient, url: string, expected: Required<PoolExpectation>, pool: Pool, spoolDir: string): SpooledFetch {
    const spool = join(spoolDir, `${expected.sha256}.${process.pid}.${randomBytes(6).toString('hex')}.part`);
    const fetch = new SpooledFetch(url, expected, pool, spool);
    void fetch.#run(client, spoolDir);
    return fetch;
  }

  /** Bytes `start`..`end` (inclusive) of the file, as they become available and releasable. */
  reader(start: number, end: number): Readable {
    return Readable.from(this.#read(start, end), { objectMode: false });
  }

  async *#read(start: number, end: number): AsyncGenerator<Buffer, void, undefined> {
    this.#readers++;
    try {
      for (let at = start; at <= end; ) {
        if (this.#failure !== undefined) throw this.#failure.error;
        // Started after the fetch ended and let go of the spool: the pool has the file now.
        if (this.#finished && this.#handle === undefined) {
          yield* (await this.pool.open(this.expected.sha256, { start: at, end })) as AsyncIterable<Buffer>;
          return;
        }
        // The last byte waits for the verdict on the whole file.
        const releasable = this.#verified ? this.expected.size : Math.min(this.#written, this.expected.size - 1);
        const handle = this.#handle;
        if (at < releasable && handle !== undefined) {
          const length = Math.min(releasable, end + 1, at + READ_SLICE) - at;
          const { bytesRead, buffer } = await handle.read(Buffer.allocUnsafe(length), 0, length, at);
          if (bytesRead === 0) throw new Error(`${this.spool}: the spool ended at ${at} bytes`);
          at += bytesRead;
          yield buffer.subarray(0, bytesRead);
          continue;
        }
        await new Promise<void>((resolve) => this.#wake.push(resolve));
      }
    } finally {
      this.#readers--;
      await this.#closeWhenUnused();
    }
  }

  #notify(): void {
    const waiting = this.#wake;
    this.#wake = [];
    for (const w of waiting) w();
  }

  async #run(client: UpstreamClient, spoolDir: string): Promise<void> {
    const check = new ContentCheck(this.expected);
    try {
      await mkdir(spoolDir, { recursive: true });
      this.#handle = await open(this.spool, 'wx+', 0o644);
      for await (const chunk of client.body(this.url, { expectedSize: this.expected.size })) {
        check.update(chunk);
        await this.#handle.write(chunk, 0, chunk.byteLength, this.#written);
        this.#written += chunk.byteLength;
        this.#started.resolve();
        this.#notify();
      }
      check.finish();
      await this.#handle.sync();
      this.#verified = true;
      this.#started.resolve();
      this.#notify();
      const entry = await putLocalFile(this.pool, this.spool, this.expected);
      this.#done.resolve(entry);
    } catch (err) {
      // A mismatch found by the client (Content-Length, too many bytes) or by the check.
      const mismatch = (err as { code?: unknown }).code === 'DEBSTASH_E_POOL_HASH_MISMATCH';
      if (!this.#verified) {
        this.#failure = { error: err, mismatch };
        this.#notify();
      }
      this.#started.reject(err);
      this.#done.reject(err);
    } finally {
      this.#finished = true;
      await unlink(this.spool).catch(() => undefined);
      await this.#closeWhenUnused();
    }
  }

  /** The spool's descriptor stays open while a reader may still read it (the name is gone by then). */
  async #closeWhenUnused(): Promise<void> {
    if (!this.#finished || this.#readers > 0 || this.#handle === undefined) return;
    const handle = this.#handle;
    this.#handle = undefined;
    await handle.close().catch(() => undefined);
  }

  /** Whether the fetch failed before its bytes verified: a reader would fail at once. */
  get failed(): boolean {
    return this.#failure !== undefined;
  }

  /** Whether the bytes were refused (size or SHA-256 not as signed), once `done` rejected. */
  get refused(): boolean {
    return this.#failure?.mismatch === true;
  }

  /**
   * Removes spool files a process left behind when it died mid-fetch: those not written to for
   * `olderThanMs` (a live fetch writes at least every body-idle timeout, and a fetch ends
   * within DEBSTASH_LIMIT_REQUEST_SECONDS).
   */
  static async sweep(spoolDir: string, olderThanMs: number): Promise<void> {
    const names = await readdir(spoolDir).catch(() => [] as string[]);
    const before = Date.now() - olderThanMs;
    for (const name of names) {
      if (!name.endsWith('.part')) continue;
      const path = join(spoolDir, name);
      const st = await stat(path).catch(() => undefined);
      if (st !== undefined && st.mtimeMs < before) await unlink(path).catch(() => undefined);
    }
  }
}

/** A promise with its resolve and reject; nobody need wait on it (a rejection is not unhandled). */
function settleable<T>(): { readonly promise: Promise<T>; resolve(value: T): void; reject(err: unknown): void } {
  let resolve: (value: T) => void = () => undefined;
  let reject: (err: unknown) => void = () => undefined;
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}
