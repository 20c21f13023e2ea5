import { setTimeout as sleep } from 'node:timers/promises';
import { DebstashError } from '../errors/debstash-error.js';
import type { ErrorCode } from '../errors/codes.js';

/** Failures that a later attempt may not meet: the database or the endpoint is down, not misconfigured. */
const TRANSIENT: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['DEBSTASH_E_STORE_UNREACHABLE', 'DEBSTASH_E_STORAGE_UNREACHABLE']);

export function isTransientBackendError(err: unknown): err is DebstashError {
  return err instanceof DebstashError && TRANSIENT.has(err.code);
}

export interface WaitOptions {
  readonly signal: AbortSignal;
  /** Each failed attempt, with the delay before the next. */
  readonly onRetry: (err: DebstashError, delayMs: number) => void;
  /** Default 1 s, doubled after each failure up to maxDelayMs (default 30 s). */
  readonly firstDelayMs?: number;
  readonly maxDelayMs?: number;
}

/**
 * Calls `open` until it succeeds, waiting 1 s, 2 s, 4 s ... 30 s between attempts while it
 * fails with an unreachable store or bucket; any other failure (a wrong URL, refused
 * credentials, a schema too new) ends at once, as no wait mends it. `first` is the failure of
 * the attempt already made. Rejects with the signal's reason when aborted: the only end of
 * the wait besides success, as an outage has no known length (`up` is stopped by a signal).
 */
export async function retryUntilReachable<T>(open: () => Promise<T>, first: DebstashError, options: WaitOptions): Promise<T> {
  const max = options.maxDelayMs ?? 30_000;
  let delay = options.firstDelayMs ?? 1000;
  let failure = first;
  for (;;) {
    options.onRetry(failure, delay);
    // The abort's own reason, not the timer's AbortError: the caller tells a stop from a failure by it.
    await sleep(delay, undefined, { signal: options.signal }).catch((err: unknown) => {
      options.signal.throwIfAborted();
      throw err;
    });
    delay = Math.min(max, delay * 2);
    try {
      return await open();
    } catch (err) {
      if (!isTransientBackendError(err)) throw err;
      failure = err;
    }
  }
}
