import { STATUS_CODES } from 'node:http';
import { DebstashError, type ErrorDetails } from '../errors/debstash-error.js';

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);
// Network trouble that may well be gone a moment later; DNS failures included, since a
// resolver hiccup and a typo look the same from here and a few retries cost little.
const UNREACHABLE_CODES = new Set([
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

function errno(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (TIMEOUT_CODES.has(code) || UNREACHABLE_CODES.has(code))) return code;
    e = (e as { cause?: unknown }).cause;
  }
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** DEBSTASH_E_CANCELLED for a request to `url`. */
export function cancelledError(url: string, cause?: unknown): DebstashError {
  return new DebstashError('DEBSTASH_E_CANCELLED', `${url}: cancelled`, { url }, cause === undefined ? undefined : { cause });
}

/** DEBSTASH_E_UPSTREAM_HTTP for an answer with an error status. */
export function httpStatusError(url: string, status: number, extra: ErrorDetails = {}): DebstashError {
  const text = STATUS_CODES[status] ?? 'Unknown';
  return new DebstashError('DEBSTASH_E_UPSTREAM_HTTP', `${url}: HTTP ${status} ${text}`, { url, status, ...extra });
}

/**
 * The DebstashError for anything a request can fail with: cancellation (when `signal` aborted,
 * whatever the error looks like), timeouts, network errors; DebstashErrors pass through.
 */
export function toUpstreamError(err: unknown, url: string, signal?: AbortSignal): DebstashError {
  if (signal?.aborted === true) return err instanceof DebstashError && err.code === 'DEBSTASH_E_CANCELLED' ? err : cancelledError(url, err);
  if (err instanceof DebstashError) return err;
  if ((err as { name?: unknown } | null)?.name === 'AbortError') return cancelledError(url, err);
  const code = errno(err);
  if (code !== undefined && TIMEOUT_CODES.has(code)) {
    const what =
      code === 'UND_ERR_CONNECT_TIMEOUT'
        ? 'connecting timed out'
        : code === 'UND_ERR_HEADERS_TIMEOUT'
          ? 'no answer within the timeout'
          : code === 'UND_ERR_BODY_TIMEOUT'
            ? 'the body stopped arriving within the timeout'
            : 'timed out';
    return new DebstashError('DEBSTASH_E_UPSTREAM_TIMEOUT', `${url}: ${what}`, { url, errno: code }, { cause: err });
  }
  return new DebstashError('DEBSTASH_E_UPSTREAM_UNREACHABLE', `${url}: ${message(err)}${code !== undefined ? ` (${code})` : ''}`, { url, errno: code }, { cause: err });
}

/** Worth another attempt: network trouble, timeouts, 5xx, 429, 408. */
export function isRetryable(err: DebstashError): boolean {
  switch (err.code) {
    case 'DEBSTASH_E_UPSTREAM_TIMEOUT':
    case 'DEBSTASH_E_UPSTREAM_UNREACHABLE':
      return true;
    case 'DEBSTASH_E_UPSTREAM_HTTP': {
      const status = err.details.status;
      return typeof status === 'number' && (status >= 500 || status === 429 || status === 408);
    }
    default:
      return false;
  }
}
