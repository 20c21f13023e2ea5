import { DebstashError } from '../../errors/debstash-error.js';

/** A sustained rate and how many requests may come at once above it. */
export interface RateLimit {
  readonly perSecond: number;
  readonly burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Keys remembered at most; the least recently seen are forgotten first (they would be full anyway). */
const MAX_KEYS = 10_000;

/**
 * Token buckets by key ("addr:1.2.3.4", "token:ci"): each key may spend `burst` requests at
 * once and gets `perSecond` back per second. In the memory of one process on purpose: a limit
 * protects this process's CPU, and a request that would wait for the store to count it would
 * cost what the limit is there to save. Behind a load balancer each replica limits on its own.
 */
export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();

  constructor(
    readonly limit: RateLimit,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes one request from `key`'s bucket; DEBSTASH_E_RATE_LIMITED (with Retry-After seconds) when empty. */
  take(key: string, what: string): void {
    if (this.limit.perSecond <= 0) return;
    const now = this.now();
    const found = this.#buckets.get(key);
    const bucket = found ?? { tokens: this.limit.burst, at: now };
    if (found !== undefined) this.#buckets.delete(key);
    bucket.tokens = Math.min(this.limit.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.limit.perSecond);
    bucket.at = now;
    this.#buckets.set(key, bucket);
    if (this.#buckets.size > MAX_KEYS) this.#buckets.delete(this.#buckets.keys().next().value as string);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return;
    }
    const retryAfter = Math.max(1, Math.ceil((1 - bucket.tokens) / this.limit.perSecond));
    throw new DebstashError('DEBSTASH_E_RATE_LIMITED', `too many ${what} requests from ${key.replace(/^(addr|token):/, '$1 ')}; retry in ${retryAfter} s`, {
      retryAfter,
      limitPerSecond: this.limit.perSecond,
      burst: this.limit.burst,
    });
  }
}

/**
 * A limit from the environment: "RATE" or "RATE/BURST" requests per second ("0" turns the
 * limit off). Anything else is DEBSTASH_E_USAGE naming the variable.
 */
export function rateLimitFromEnv(name: string, fallback: RateLimit, env: NodeJS.ProcessEnv = process.env): RateLimit {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(\d+))?\s*$/.exec(raw);
  if (m === null) {
    throw new DebstashError('DEBSTASH_E_USAGE', `${name}=${JSON.stringify(raw)} is not a rate: give requests per second, optionally "/BURST" (e.g. "20/200"), or 0 for no limit`, { variable: name });
  }
  const perSecond = Number(m[1]);
  return { perSecond, burst: m[2] !== undefined ? Number(m[2]) : Math.max(1, Math.ceil(perSecond * 10)) };
}
