import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { Agent, request } from 'undici';
import { DebstashError } from '../errors/debstash-error.js';
import type { Pool, PoolEntry, PoolExpectation } from '../pool/pool.js';
import { abortableSleep, backoffDelay, parseRetryAfter } from './backoff.js';
import { fileUrlBody, getFileUrl } from './file-url.js';
import { Semaphore } from '../concurrency/semaphore.js';
import { cancelledError, httpStatusError, isRetryable, toUpstreamError } from './upstream-errors.js';
import { TransferRate } from './transfer-rate.js';
import { limitExceeded, type LimitName, type UpstreamLimits, upstreamLimits } from './upstream-limits.js';

export interface UpstreamClientOptions {
  /** Requests in flight at once, over all downloads of this client. Default 8. */
  concurrency?: number;
  /** Further attempts after a retryable failure (5xx, 429, timeout, reset, refused). Default 3. */
  retries?: number;
  /** First backoff delay; doubles each retry, with jitter. Default 500 ms. */
  retryBaseDelayMs?: number;
  /** Longest backoff delay, Retry-After included. Default 15 s. */
  retryMaxDelayMs?: number;
  /** Default 10 s. */
  connectTimeoutMs?: number;
  /** From sending the request to the end of the response headers. Default 30 s. */
  headersTimeoutMs?: number;
  /** Longest pause between two pieces of a body. Default 30 s. */
  bodyIdleTimeoutMs?: number;
  /** Times a body cut off mid-way is resumed with a Range request, on top of `retries`. Default 5. */
  maxResumes?: number;
  /** Whole-file attempts of `download` when the bytes do not match, or cannot be resumed. Default 3. */
  downloadAttempts?: number;
  /** Default "debstash". */
  userAgent?: string;
  /** Sizes, rates, times and redirects allowed (see upstream-limits.ts). Default: from the environment. */
  limits?: UpstreamLimits;
}

export interface GetBufferOptions {
  signal?: AbortSignal;
  /** ETag of the copy the caller has: sent as If-None-Match. */
  etag?: string;
  /** Last-Modified of the copy the caller has: sent as If-Modified-Since. */
  lastModified?: string;
  /** Larger bodies fail with DEBSTASH_E_UPSTREAM_HTTP. Default 64 MiB. */
  maxBytes?: number;
  /** The limit that bounds the body instead of `maxBytes`: a larger one is DEBSTASH_E_UPSTREAM_LIMIT. */
  limit?: LimitName;
}

export type GetBufferResult =
  | { readonly notModified: true }
  | { readonly notModified: false; readonly body: Buffer; readonly etag?: string; readonly lastModified?: string };

export interface BodyOptions {
  signal?: AbortSignal;
  /**
   * The size the caller was promised. A Content-Length that differs, or more bytes than this,
   * fail early with DEBSTASH_E_POOL_HASH_MISMATCH; without a Content-Length, a body that ends
   * short of it counts as cut off and is resumed.
   */
  expectedSize?: number;
}

export interface DownloadOptions {
  signal?: AbortSignal;
}

// undici parses HTTP with llhttp compiled to WebAssembly. V8 compiles it quickly (Liftoff),
// then again optimized (TurboFan) on background threads, and a process that exits waits for
// that: ~70 ms of CPU and 0.1-0.5 s of wall time on a loaded machine, which was most of a no-op
// `mirror update`. The parser does little per chunk of a body, so the optimized code buys
// nothing measurable for downloads. It is the only WebAssembly the program runs.
setFlagsFromString('--liftoff-only');

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

interface Response {
  readonly url: string;
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Readable;
  /**
   * The body's pieces; DEBSTASH_E_UPSTREAM_TIMEOUT when the next piece takes longer than the
   * idle timeout. Time spent by the consumer between pieces does not count.
   */
  chunks(): AsyncGenerator<Buffer, void, undefined>;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

const DUMP_LIMIT = 64 * 1024;

/**
 * Lets go of a body: a small rest (an error page) is read so the connection can be reused;
 * a large one is dropped with its connection rather than read for nothing.
 */
function discard(body: Readable & { dump?: (opts: { limit: number }) => Promise<void> }): void {
  if (body.readableEnded || body.destroyed) return;
  // Destroying an undici body reports an abort error; nobody is waiting for it any more.
  body.on('error', () => undefined);
  if (typeof body.dump === 'function') body.dump({ limit: DUMP_LIMIT }).catch(() => undefined);
  else body.destroy();
}

/** Content-Range "bytes a-b/total" → its parts; undefined when unreadable. */
function parseContentRange(value: string | undefined): { start: number; end: number; total: number | undefined } | undefined {
  const m = value === undefined ? null : /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(value.trim());
  if (m === null) return undefined;
  return { start: Number(m[1]), end: Number(m[2]), total: m[3] === '*' ? undefined : Number(m[3]) };
}

function sizeMismatch(url: string, expected: number, got: string): DebstashError {
  return new DebstashError('DEBSTASH_E_POOL_HASH_MISMATCH', `${url}: expected ${expected} bytes, got ${got}`, { url, size: expected });
}

/** A body that was cut off and cannot be continued: only a fresh download can help. */
function notResumable(url: string, received: number, why: string): DebstashError {
  return new DebstashError('DEBSTASH_E_UPSTREAM_UNREACHABLE', `${url}: connection lost after ${received} bytes and ${why}`, {
    url,
    received,
    resumable: false,
  });
}

/**
 * Fetches from one or more upstream archives over `http:`/`https:` (keep-alive, bounded
 * concurrency, timeouts, retries with backoff, resume) and `file:`. Every method takes an
 * AbortSignal; aborting fails with DEBSTASH_E_CANCELLED and closes the connection in use.
 * Call close() when done.
 */
export class UpstreamClient {
  readonly #agent: Agent;
  readonly #semaphore: Semaphore;
  readonly #retries: number;
  readonly #backoff: { baseDelayMs: number; maxDelayMs: number };
  readonly #maxResumes: number;
  readonly #downloadAttempts: number;
  readonly #userAgent: string;
  readonly #headersTimeoutMs: number;
  readonly #bodyIdleTimeoutMs: number;
  readonly #limits: UpstreamLimits;

  constructor(options: UpstreamClientOptions = {}) {
    const concurrency = options.concurrency ?? 8;
    this.#semaphore = new Semaphore(concurrency);
    this.#retries = options.retries ?? 3;
    this.#backoff = { baseDelayMs: options.retryBaseDelayMs ?? 500, maxDelayMs: options.retryMaxDelayMs ?? 15_000 };
    this.#maxResumes = options.maxResumes ?? 5;
    this.#downloadAttempts = Math.max(1, options.downloadAttempts ?? 3);
    this.#userAgent = options.userAgent ?? 'debstash';
    this.#headersTimeoutMs = options.headersTimeoutMs ?? 30_000;
    this.#bodyIdleTimeoutMs = options.bodyIdleTimeoutMs ?? 30_000;
    this.#limits = options.limits ?? upstreamLimits();
    this.#agent = new Agent({
      connections: concurrency,
      connectTimeout: options.connectTimeoutMs ?? 10_000,
      // Our own timers (see #open) are the ones meant to fire: undici's run on a coarse clock
      // (up to a second late), so they stay as a backstop only.
      headersTimeout: this.#headersTimeoutMs + 2000,
      bodyTimeout: this.#bodyIdleTimeoutMs + 2000,
      keepAliveTimeout: 15_000,
      keepAliveMaxTimeout: 60_000,
    });
  }

  /** The bounds on what the upstream may send; index readers apply them too. */
  get limits(): UpstreamLimits {
    return this.#limits;
  }

  /** The concurrency limit. */
  get concurrency(): number {
    return this.#semaphore.limit;
  }

  /** Closes idle connections and refuses new requests; waits for requests in flight. */
  async close(): Promise<void> {
    await this.#agent.close();
  }

  /** One request, following redirects (never from https to http). The caller owns the body. */
  async #open(url: string, headers: Record<string, string>, signal: AbortSignal | undefined): Promise<Response> {
    const limits = this.#limits;
    let current = url;
    for (let hop = 0; ; hop++) {
      // Timeouts abort the request through a signal of our own, so the connection is closed
      // the same way as on cancellation, and the reason says which limit was hit.
      const timeouts = new AbortController();
      const combined = signal === undefined ? timeouts.signal : AbortSignal.any([signal, timeouts.signal]);
      const at = current;
      const failure = (err: unknown): DebstashError => toUpstreamError(timeouts.signal.aborted ? timeouts.signal.reason : err, at, signal);
      const headersTimer = setTimeout(
        () => timeouts.abort(new DebstashError('DEBSTASH_E_UPSTREAM_TIMEOUT', `${at}: no answer within ${this.#headersTimeoutMs} ms`, { url: at })),
        this.#headersTimeoutMs,
      );
      // Headers and body together; unref'd, so a response nobody reads keeps no process alive.
      const requestTimer = setTimeout(
        () => timeouts.abort(limitExceeded('requestSeconds', limits, `${at}: the request`, `${limits.requestSeconds} s without its end (still running)`)),
        limits.requestSeconds * 1000,
      ).unref();
      let res: Awaited<ReturnType<typeof request>>;
      try {
        res = await request(current, {
          dispatcher: this.#agent,
          method: 'GET',
          headers: { 'user-agent': this.#userAgent, ...headers },
          signal: combined,
        });
      } catch (err) {
        clearTimeout(requestTimer);
        throw failure(err);
      } finally {
        clearTimeout(headersTimer);
      }
      const location = header(res.headers, 'location');
      if (!REDIRECTS.has(res.statusCode) || location === undefined) {
        const body = res.body;
        const idleMs = this.#bodyIdleTimeoutMs;
        const idle = (): void =>
          timeouts.abort(new DebstashError('DEBSTASH_E_UPSTREAM_TIMEOUT', `${at}: the body stopped arriving for ${idleMs} ms`, { url: at }));
        const chunks = async function* (): AsyncGenerator<Buffer, void, undefined> {
          let timer = setTimeout(idle, idleMs);
          // The rate counts only the time spent waiting for the server, not the consumer's.
          const rate = new TransferRate(limits.minRateBytesPerSecond, limits.rateWindowSeconds, 0);
          let waited = 0;
          let mark = Date.now();
          try {
            for await (const chunk of body) {
              clearTimeout(timer);
              waited += Date.now() - mark;
              const slow = rate.add((chunk as Buffer).length, waited);
              if (slow !== undefined) {
                throw limitExceeded('minRateBytesPerSecond', limits, `${at}: the body`, `${slow.toFixed(1)} bytes/s over ${limits.rateWindowSeconds} s`);
              }
              yield chunk as Buffer;
              mark = Date.now();
              timer = setTimeout(idle, idleMs);
            }
          } catch (err) {
            throw failure(err);
          } finally {
            clearTimeout(timer);
            clearTimeout(requestTimer);
          }
        };
        return { url: current, status: res.statusCode, headers: res.headers, body, chunks };
      }
      clearTimeout(requestTimer);
      discard(res.body);
      if (hop >= limits.redirects) throw limitExceeded('redirects', limits, `${url}: following redirects`, `${hop + 1} redirects`);
      const next = new URL(location, current);
      // Never to file: or anything else: a server must not make us read the local disk.
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        throw new DebstashError('DEBSTASH_E_UPSTREAM_LIMIT', `${current}: redirect to ${next.protocol} URL ${next.href} refused: redirects are followed to http and https only`, {
          url: current,
          limit: 'redirect scheme',
          value: next.protocol,
        });
      }
      // apt refuses to be downgraded from https; an attacker on the path could otherwise.
      if (new URL(current).protocol === 'https:' && next.protocol !== 'https:' && limits.httpsToHttp !== 1) {
        throw limitExceeded('httpsToHttp', limits, `${current}: redirect to ${next.href} leaves https`, 'a redirect to http');
      }
      current = next.href;
    }
  }

  /**
   * Runs `attempt` with a permit, retrying retryable failures with backoff (the permit is given
   * back while waiting). `attempt` must leave nothing open when it throws.
   */
  async #withRetries<T>(url: string, signal: AbortSignal | undefined, attempt: () => Promise<T>): Promise<T> {
    for (let failures = 0; ; failures++) {
      let retryAfterMs: number | undefined;
      let release: (() => void) | undefined;
      try {
        release = await this.#semaphore.acquire(signal);
        return await attempt();
      } catch (err) {
        const e = toUpstreamError(err, url, signal);
        if (!isRetryable(e) || failures >= this.#retries) throw e;
        retryAfterMs = typeof e.details.retryAfterMs === 'number' ? e.details.retryAfterMs : undefined;
      } finally {
        release?.();
      }
      await this.#sleep(backoffDelay(failures, this.#backoff, retryAfterMs), url, signal);
    }
  }

  async #sleep(ms: number, url: string, signal: AbortSignal | undefined): Promise<void> {
    try {
      await abortableSleep(ms, signal);
    } catch (err) {
      throw cancelledError(url, err);
    }
  }

  #statusError(res: Response): DebstashError {
    const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
    return httpStatusError(res.url, res.status, retryAfterMs === undefined ? {} : { retryAfterMs });
  }

  /**
   * GETs a whole (small) file, such as InRelease. With `etag`/`lastModified` it is a
   * conditional GET and `{ notModified: true }` means the caller's copy is current.
   */
  async getBuffer(url: string, options: GetBufferOptions = {}): Promise<GetBufferResult> {
    const { signal, limit } = options;
    const limits = this.#limits;
    const maxBytes = limit !== undefined ? limits[limit] : (options.maxBytes ?? DEFAULT_MAX_BYTES);
    if (signal?.aborted === true) throw cancelledError(url, signal.reason);
    if (url.startsWith('file:')) {
      const release = await this.#semaphore.acquire(signal).catch((err: unknown) => {
        throw cancelledError(url, err);
      });
      try {
        return await getFileUrl(url, { signal, lastModified: options.lastModified, maxBytes });
      } finally {
        release();
      }
    }
    const headers: Record<string, string> = {};
    if (options.etag !== undefined) headers['if-none-match'] = options.etag;
    if (options.lastModified !== undefined) headers['if-modified-since'] = options.lastModified;
    return this.#withRetries(url, signal, async () => {
      const res = await this.#open(url, headers, signal);
      try {
        if (res.status === 304) return { notModified: true };
        if (res.status < 200 || res.status > 299) throw this.#statusError(res);
        const length = header(res.headers, 'content-length');
        const tooBig = (): DebstashError =>
          limit !== undefined
            ? limitExceeded(limit, limits, res.url, `more than ${maxBytes} bytes`)
            : new DebstashError('DEBSTASH_E_UPSTREAM_HTTP', `${res.url}: more than the ${maxBytes} bytes allowed`, { url: res.url, maxBytes });
        if (length !== undefined && Number(length) > maxBytes) throw tooBig();
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of res.chunks()) {
          size += chunk.length;
          if (size > maxBytes) throw tooBig();
          chunks.push(chunk);
        }
        const etag = header(res.headers, 'etag');
        const lastModified = header(res.headers, 'last-modified');
        return {
          notModified: false,
          body: Buffer.concat(chunks, size),
          ...(etag !== undefined ? { etag } : {}),
          ...(lastModified !== undefined ? { lastModified } : {}),
        };
      } catch (err) {
        throw toUpstreamError(err, res.url, signal);
      } finally {
        discard(res.body);
      }
    });
  }

  /**
   * The bytes of `url` as they arrive. A body cut off mid-way (reset, timeout, short read) is
   * continued with a Range request from where it stopped, when the server answers 206 for the
   * same resource (If-Range); otherwise it fails with a DEBSTASH_E_UPSTREAM_UNREACHABLE whose
   * details say `resumable: false`, and only a fresh download can help. Failures before the
   * first byte are retried like getBuffer's. Holds one permit while a request is open, so
   * consume the iterable to its end or break out of it.
   */
  async *body(url: string, options: BodyOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
    const { signal, expectedSize } = options;
    if (signal?.aborted === true) throw cancelledError(url, signal.reason);
    if (url.startsWith('file:')) {
      const release = await this.#semaphore.acquire(signal).catch((err: unknown) => {
        throw cancelledError(url, err);
      });
      try {
        yield* fileUrlBody(url, signal);
      } finally {
        release();
      }
      return;
    }

    let received = 0;
    let validator: string | undefined;
    let total: number | undefined;
    let failures = 0;
    let resumes = 0;
    for (;;) {
      let retryAfterMs: number | undefined;
      let release: (() => void) | undefined;
      let res: Response | undefined;
      const before = received;
      try {
        release = await this.#semaphore.acquire(signal);
        const headers: Record<string, string> = {};
        if (received > 0) {
          headers.range = `bytes=${received}-`;
          if (validator !== undefined) headers['if-range'] = validator;
        }
        res = await this.#open(url, headers, signal);
        if (received > 0) {
          if (res.status === 200) throw notResumable(res.url, received, 'the server does not resume (Range answered with 200)');
          if (res.status === 206) {
            const range = parseContentRange(header(res.headers, 'content-range'));
            if (range === undefined || range.start !== received || (total !== undefined && range.total !== undefined && range.total !== total)) {
              throw notResumable(res.url, received, `the resumed part does not fit (Content-Range: ${header(res.headers, 'content-range') ?? 'none'})`);
            }
          } else {
            throw this.#statusError(res);
          }
        } else {
          if (res.status !== 200) throw this.#statusError(res);
          const length = header(res.headers, 'content-length');
          if (length !== undefined) total = Number(length);
          if (expectedSize !== undefined && total !== undefined && total !== expectedSize) {
            throw sizeMismatch(res.url, expectedSize, `a Content-Length of ${total}`);
          }
          const etag = header(res.headers, 'etag');
          // Only a strong ETag (or a date) may guard a resume: a weak one allows other bytes.
          validator = etag !== undefined && !etag.startsWith('W/') ? etag : header(res.headers, 'last-modified');
        }
        for await (const bytes of res.chunks()) {
          received += bytes.length;
          if (expectedSize !== undefined && received > expectedSize) throw sizeMismatch(res.url, expectedSize, 'more');
          yield bytes;
        }
        const complete = total ?? expectedSize;
        if (complete !== undefined && received < complete) {
          throw new DebstashError('DEBSTASH_E_UPSTREAM_UNREACHABLE', `${res.url}: body ended after ${received} of ${complete} bytes`, { url: res.url, received });
        }
        return;
      } catch (err) {
        const e = toUpstreamError(err, res?.url ?? url, signal);
        if (!isRetryable(e) || e.details.resumable === false) throw e;
        if (received > before) {
          // Progress was made: this was a cut-off body, not a dead server.
          failures = 0;
          if (++resumes > this.#maxResumes) throw e;
        } else if (++failures > this.#retries) {
          throw e;
        }
        retryAfterMs = typeof e.details.retryAfterMs === 'number' ? e.details.retryAfterMs : undefined;
      } finally {
        if (res !== undefined) discard(res.body);
        release?.();
      }
      await this.#sleep(received > before ? 0 : backoffDelay(failures - 1, this.#backoff, retryAfterMs), url, signal);
    }
  }

  /**
   * Downloads `url` into `pool`, verified against `expected` while it streams. A file whose
   * bytes do not match (or whose transfer cannot be resumed) is fetched again, up to
   * `downloadAttempts` times in all; then DEBSTASH_E_POOL_HASH_MISMATCH naming the URL. Nothing
   * is left in the pool on failure or cancellation. A file already in the pool is not fetched.
   */
  async download(url: string, pool: Pool, expected: PoolExpectation, options: DownloadOptions = {}): Promise<PoolEntry> {
    const { signal } = options;
    for (let attempt = 1; ; attempt++) {
      try {
        return await pool.put(this.body(url, { signal, expectedSize: expected.size }), expected, signal);
      } catch (err) {
        if (signal?.aborted === true) throw err instanceof DebstashError && err.code === 'DEBSTASH_E_CANCELLED' ? err : cancelledError(url, err);
        if (!(err instanceof DebstashError)) throw err;
        const mismatch = err.code === 'DEBSTASH_E_POOL_HASH_MISMATCH';
        if (!mismatch && err.details.resumable !== false) throw err;
        if (attempt >= this.#downloadAttempts) {
          if (!mismatch) throw err;
          const what = err.message.startsWith(`${url}: `) ? err.message.slice(url.length + 2) : err.message;
          throw new DebstashError('DEBSTASH_E_POOL_HASH_MISMATCH', `${url}: ${what} (${attempt} attempts)`, { ...err.details, url, attempts: attempt }, { cause: err });
        }
      }
    }
  }
}
