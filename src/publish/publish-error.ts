import { DebstashError, type ErrorDetails } from '../errors/debstash-error.js';
import type { ErrorCode } from '../errors/codes.js';

/** The ways publishing can fail that are publishing's own, each with its code. */
export type PublishFailure = 'name' | 'conflict' | 'busy' | 'signature' | 'write';

const CODES: Readonly<Record<PublishFailure, ErrorCode>> = {
  name: 'DEBSTASH_E_PUBLISH_NAME_INVALID',
  conflict: 'DEBSTASH_E_PUBLISH_CONFLICT',
  busy: 'DEBSTASH_E_PUBLISH_BUSY',
  signature: 'DEBSTASH_E_PUBLISH_SIGNATURE',
  write: 'DEBSTASH_E_PUBLISH_WRITE',
};

export function publishError(failure: PublishFailure, message: string, details: ErrorDetails = {}, cause?: unknown): DebstashError {
  return new DebstashError(CODES[failure], message, { ...details, failure }, cause === undefined ? undefined : { cause });
}

const WRITE_ERRNOS = new Set(['ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EROFS', 'EIO', 'EFBIG', 'EMLINK', 'ENAMETOOLONG']);

/** A filesystem error while writing the tree, as a coded error; anything else unchanged. */
export function writeError(err: unknown, path: string): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code !== undefined && WRITE_ERRNOS.has(code)) {
    return publishError('write', `cannot write ${path}: ${code}`, { path, errno: code }, err);
  }
  return err;
}

/** DEBSTASH_E_CANCELLED when `signal` is aborted (its reason kept as the cause). */
export function throwIfCancelled(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted !== true) return;
  const reason: unknown = signal.reason;
  if (reason instanceof DebstashError && reason.code === 'DEBSTASH_E_CANCELLED') throw reason;
  throw new DebstashError('DEBSTASH_E_CANCELLED', `${what} cancelled`, {}, { cause: reason });
}
