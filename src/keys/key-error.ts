import { DebstashError, type ErrorDetails } from '../errors/debstash-error.js';

/** The error codes of the key store (see docs/errors.md). */
export type KeyErrorCode =
  | 'DEBSTASH_E_KEY_NOT_FOUND'
  | 'DEBSTASH_E_KEY_EXISTS'
  | 'DEBSTASH_E_KEY_INVALID'
  | 'DEBSTASH_E_KEY_REFUSED'
  | 'DEBSTASH_E_KEY_PASSPHRASE'
  | 'DEBSTASH_E_KEY_STORE';

/** A DebstashError with one of the key store's codes. */
export function keyError(code: KeyErrorCode, message: string, details: ErrorDetails = {}, cause?: unknown): DebstashError {
  return new DebstashError(code, message, details, cause === undefined ? undefined : { cause });
}

export function why(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
