import { createHash } from 'node:crypto';
import { open, unlink } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { DebstashError } from '../errors/debstash-error.js';
import { checkSha256, sha256Hex } from './sha256.js';

/** What the caller knows a file must be before it may be stored. */
export interface ExpectedContent {
  readonly sha256: string;
  /** Checked when known: a mismatch fails before hashing the rest. */
  readonly size?: number;
}

/** errno codes that mean "this disk will not take the file", as opposed to a bug. */
const WRITE_ERRORS = new Set(['ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EROFS', 'EIO', 'EFBIG']);

/** A full disk, a read-only mount...: DEBSTASH_E_POOL_WRITE naming `path`; anything else as it was. */
export function writeError(err: unknown, path: string): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === undefined || !WRITE_ERRORS.has(code)) return err;
  return new DebstashError('DEBSTASH_E_POOL_WRITE', `cannot write ${path}: ${code}`, { path, errno: code }, { cause: err });
}

/** Bytes that are not what the caller said they would be. */
export function contentMismatch(expected: ExpectedContent, got: string): DebstashError {
  return new DebstashError('DEBSTASH_E_POOL_HASH_MISMATCH', `expected SHA-256 ${expected.sha256}${expected.size !== undefined ? ` (${expected.size} bytes)` : ''}, got ${got}`, {
    sha256: expected.sha256,
    ...(expected.size !== undefined ? { size: expected.size } : {}),
  });
}

/**
 * Checks bytes against what they must be while they stream: `update` with each chunk (fails as
 * soon as there are too many), `finish` at the end (fails on a short body or another SHA-256;
 * returns the size).
 */
export class ContentCheck {
  readonly #hash = createHash('sha256');
  #size = 0;

  constructor(private readonly expected: ExpectedContent) {}

  update(chunk: Uint8Array): void {
    this.#size += chunk.byteLength;
    if (this.expected.size !== undefined && this.#size > this.expected.size) throw contentMismatch(this.expected, `more than ${this.expected.size} bytes`);
    this.#hash.update(chunk);
  }

  finish(): number {
    const { expected } = this;
    if (expected.size !== undefined && this.#size !== expected.size) throw contentMismatch(expected, `${this.#size} bytes instead of ${expected.size}`);
    const actual = this.#hash.digest('hex');
    if (actual !== expected.sha256) throw contentMismatch(expected, `SHA-256 ${actual}`);
    return this.#size;
  }
}

/** The unique blobs of a batch by hash, every one checked against its hash before any is stored. */
export function checkedBlobs(blobs: readonly { readonly sha256: string; readonly bytes: Uint8Array }[]): Map<string, Uint8Array> {
  const unique = new Map<string, Uint8Array>();
  for (const { sha256, bytes } of blobs) {
    checkSha256(sha256);
    if (unique.has(sha256)) continue;
    const actual = sha256Hex(bytes);
    if (actual !== sha256) throw contentMismatch({ sha256, size: bytes.byteLength }, `SHA-256 ${actual}`);
    unique.set(sha256, bytes);
  }
  return unique;
}

/**
 * Writes `body` to the new file `tmp` while hashing it, checks size and SHA-256 against
 * `expected`, fsyncs, and only then calls `place(tmp)` to move it under its final name: a
 * reader of the final name never sees a partial or wrong file. On any failure `tmp` is
 * removed. `body` is consumed or destroyed either way. Resolves with the size written.
 */
export async function putVerified(
  body: Readable | AsyncIterable<Uint8Array>,
  expected: ExpectedContent,
  tmp: string,
  place: (tmp: string) => void | Promise<void>,
  signal?: AbortSignal,
): Promise<number> {
  const fh = await open(tmp, 'wx', 0o644).catch((err: unknown) => {
    throw writeError(err, tmp);
  });
  const check = new ContentCheck(expected);
  try {
    for await (const chunk of body) {
      signal?.throwIfAborted();
      check.update(chunk);
      await fh.write(chunk);
    }
    signal?.throwIfAborted();
    const size = check.finish();
    await fh.sync();
    await fh.close();
    await place(tmp);
    return size;
  } catch (err) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw writeError(err, tmp);
  } finally {
    if (body instanceof Readable && !body.destroyed) body.destroy();
  }
}
