import { setTimeout as sleep } from 'node:timers/promises';

export interface BackoffOptions {
  /** Delay before the first retry, before jitter. */
  readonly baseDelayMs: number;
  /** No delay is longer than this, Retry-After included. */
  readonly maxDelayMs: number;
}

/**
 * Delay before retry number `attempt` (0 for the first retry): exponential, with "equal jitter"
 * (half fixed, half random) so that many clients failing together do not retry together, and
 * never shorter than what the server asked for with Retry-After (capped at maxDelayMs).
 */
export function backoffDelay(attempt: number, options: BackoffOptions, retryAfterMs?: number): number {
  const exp = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt);
  const jittered = exp / 2 + Math.random() * (exp / 2);
  return Math.min(options.maxDelayMs, Math.max(jittered, retryAfterMs ?? 0));
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Waits `ms`; rejects with the signal's reason as soon as it aborts. */
export async function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) {
    signal?.throwIfAborted();
    return;
  }
  await sleep(ms, undefined, signal === undefined ? undefined : { signal });
}
