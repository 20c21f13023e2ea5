import { createHash } from 'node:crypto';
import { open, unlink } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { DebstashError } from '../errors/debstash-error.js';

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
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of body) {
      signal?.throwIfAborted();
      size += chunk.byteLength;
      if (expected.size !== undefined && size > expected.size) throw contentMismatch(expected, `more than ${expected.size} bytes`);
      hash.update(chunk);
      await fh.write(chunk);
    }
    signal?.throwIfAborted();
    if (expected.size !== undefined && size !== expected.size) throw contentMismatch(expected, `${size} bytes instead of ${expected.size}`);
    const actual = hash.digest('hex');
    if (actual !== expected.sha256) throw contentMismatch(expected, `SHA-256 ${actual}`);
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
