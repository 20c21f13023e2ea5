import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ContentCheck } from '../files/put-verified.js';
import type { Pool, PoolEntry, PoolExpectation } from '../pool/pool.js';
import { putLocalFile } from '../pool/put-local-file.js';
import type { UpstreamClient } from './http-client.js';

/** Bytes one read of the spool hands a reader: the server's send slice. */
const READ_SLICE = 256 * 2 ** 10;

/** What a reader of a fetch in progress is told when it fails: the reason, for logs. */
export type SpoolFailure = { readonly error: unknown; readonly mismatch: boolean };

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
    let first: (() => void) | undefined;
    let firstFailed: ((err: unknown) => void) | undefined;
    this.started = new Promise<void>((resolve, reject) => {
      first = resolve;
      firstFailed = reject;
    });
    this.#onFirst = () => first?.();
    this.#onFirstFailed = (err) => firstFailed?.(err);
    this.done = new Promise<PoolEntry>((resolve, reject) => {
      this.#settle = { resolve, reject };
    });
    // Nobody may be waiting on these when they fail (every reader gone): not an unhandled rejection.
    this.started.catch(() => undefined);
    this.done.catch(() => undefined);
  }

  #onFirst: () => void;
  #onFirstFailed: (err: unknown) => void;
  #settle: { resolve: (e: PoolEntry) => void; reject: (err: unknown) => void } | undefined;

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
        this.#onFirst();
        this.#notify();
      }
      check.finish();
      await this.#handle.sync();
      this.#verified = true;
      this.#onFirst();
      this.#notify();
      const entry = await putLocalFile(this.pool, this.spool, this.expected);
      this.#settle?.resolve(entry);
    } catch (err) {
      // A mismatch found by the client (Content-Length, too many bytes) or by the check.
      const mismatch = (err as { code?: unknown }).code === 'DEBSTASH_E_POOL_HASH_MISMATCH';
      if (!this.#verified) {
        this.#failure = { error: err, mismatch };
        this.#notify();
      }
      this.#onFirstFailed(err);
      this.#settle?.reject(err);
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

  /** Whether the bytes were refused (size or SHA-256 not as signed), once `done` rejected. */
  get refused(): boolean {
    return this.#failure?.mismatch === true;
  }
}
