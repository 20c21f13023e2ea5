import { DebstashError } from '../errors/debstash-error.js';

/** What the SDK's errors carry that matters here. */
interface SdkErrorShape {
  readonly name?: string;
  readonly code?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

const AUTH_NAMES = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'InvalidToken', 'ExpiredToken', 'CredentialsProviderError']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/** Whether the SDK error is "no such key" (a 404 of an object, not of the bucket). */
export function isNotFound(err: unknown): boolean {
  const e = err as SdkErrorShape | undefined;
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || (e?.$metadata?.httpStatusCode === 404 && e.name !== 'NoSuchBucket');
}

/**
 * Turns what the SDK throws (after its own retries) into the coded error a user can act on:
 * unreachable, refused credentials, missing bucket. Aborts and coded errors pass through;
 * anything else is left as it is (a bug, shown with its stack).
 */
export function storageError(err: unknown, where: string): unknown {
  if (err instanceof DebstashError) return err;
  const e = err as SdkErrorShape | undefined;
  if (e === undefined || e === null) return err;
  if (e.name === 'AbortError') return err;
  const status = e.$metadata?.httpStatusCode;
  const what = `${e.name ?? 'error'}${status !== undefined ? ` (HTTP ${status})` : ''}`;
  const cause = { cause: err };
  if (e.name === 'NoSuchBucket') return new DebstashError('DEBSTASH_E_STORAGE_BUCKET_MISSING', `${where}: the bucket does not exist`, { status }, cause);
  if (AUTH_NAMES.has(e.name ?? '') || status === 403 || status === 401) {
    return new DebstashError('DEBSTASH_E_STORAGE_AUTH', `${where}: access refused: ${what}`, { status }, cause);
  }
  if (NETWORK_CODES.has(e.code ?? '') || NETWORK_CODES.has(e.name ?? '') || e.name === 'TimeoutError' || (status !== undefined && status >= 500)) {
    return new DebstashError('DEBSTASH_E_STORAGE_UNREACHABLE', `${where}: ${what}${e.code !== undefined && e.code !== e.name ? ` ${e.code}` : ''}`, { status }, cause);
  }
  if (e.name === 'BadDigest' || e.name === 'InvalidDigest') return new DebstashError('DEBSTASH_E_STORAGE_INTEGRITY', `${where}: the endpoint received other bytes than were sent (${what})`, { status }, cause);
  return err;
}
