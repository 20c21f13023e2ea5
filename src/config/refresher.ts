import { servesInRelease } from '../model/served-release.js';
import { DebstashError } from '../errors/debstash-error.js';
import type { Context } from '../model/context.js';
import { lockKey } from '../model/store-locks.js';
import { normalizePrefix } from '../model/require-publish.js';
import { type ApplyOptions, type ApplyResult, applyConfig } from './apply-config.js';
import type { DebstashConfig } from './config-schema.js';

export interface Readiness {
  readonly ok: boolean;
  readonly why?: string;
}

/**
 * Where the refresher reports its gauges: the server's Metrics in `up`. Declared here so that
 * config does not depend on the server (they meet only in the CLI).
 */
export interface GaugeSink {
  setGauge(name: string, help: string, value: number): void;
}

const seconds = (d: Date): number => Math.floor(d.getTime() / 1000);

/**
 * What `debstash up` runs: apply now and on schedule, one at a time, keeping what `/readyz` and
 * `/metrics` say about it. A failed refresh changes nothing clients see (apply never leaves
 * a half-made publish), so the server keeps serving the last good publish and reports itself
 * ready but degraded.
 */
export class Refresher {
  #running: Promise<ApplyResult> | undefined;
  #failures = 0;
  #lastFailure: { at: Date; reason: string } | undefined;

  constructor(
    private readonly ctx: Context,
    private readonly config: DebstashConfig,
    private readonly metrics: GaugeSink,
  ) {
    this.#gauges();
  }

  /** Applies the config; a call while one runs waits for that one instead of starting another. */
  apply(options: ApplyOptions = {}): Promise<ApplyResult> {
    this.#running ??= applyConfig(this.ctx, this.config, options)
      .then(
        (result) => {
          this.#failures = 0;
          this.#lastFailure = undefined;
          this.metrics.setGauge('debstash_refresh_last_success_timestamp_seconds', 'When the last apply (first run or scheduled refresh) succeeded.', seconds(new Date()));
          return result;
        },
        (err: unknown) => {
          this.#failures++;
          this.#lastFailure = { at: new Date(), reason: err instanceof Error ? err.message : String(err) };
          this.metrics.setGauge('debstash_refresh_last_failure_timestamp_seconds', 'When the last apply (first run or scheduled refresh) failed.', seconds(this.#lastFailure.at));
          throw err;
        },
      )
      .finally(() => {
        this.#running = undefined;
        this.#gauges();
      });
    return this.#running;
  }

  /**
   * A scheduled refresh, under the store's refresh lease: when another process on the same
   * store (a replica) is applying, this round is skipped, and the holder is returned instead
   * of a result. The lease is a store lock, so it expires when its holder dies.
   */
  async applyScheduled(options: ApplyOptions = {}): Promise<ApplyResult | { readonly skipped: string }> {
    try {
      return await this.ctx.locks.with([lockKey.refresh()], () => this.apply(options), { mode: 'fail', what: 'run the scheduled refresh' });
    } catch (err) {
      if (err instanceof DebstashError && err.code === 'DEBSTASH_E_BUSY' && err.details.resource === lockKey.refresh()) return { skipped: err.message };
      throw err;
    }
  }

  /** The first apply of `up`: waits for a replica's refresh to end rather than running beside it. */
  applyFirst(options: ApplyOptions = {}): Promise<ApplyResult> {
    return this.ctx.locks.with([lockKey.refresh()], () => this.apply(options), { mode: 'wait', ...(options.signal ? { signal: options.signal } : {}) });
  }

  #gauges(): void {
    this.metrics.setGauge('debstash_refresh_consecutive_failures', 'Applies that failed in a row since the last success (0: the last one worked).', this.#failures);
    this.metrics.setGauge('debstash_refresh_healthy', '1 when the last apply succeeded (or none failed yet), 0 when it failed.', this.#failures === 0 ? 1 : 0);
  }

  /**
   * Ready when every publish of the config has its signed InRelease where it is served from; then, if the last
   * refresh failed, still ready (the last good publish is served) but saying so.
   */
  async ready(): Promise<Readiness> {
    for (const p of this.config.publishes) {
      const prefix = normalizePrefix(p.prefix);
      const record = await this.ctx.store.getPublish(prefix, p.dist);
      if (record === undefined || !(await servesInRelease(this.ctx, prefix, p.dist))) {
        const failed = this.#lastFailure ? ` (last apply failed at ${this.#lastFailure.at.toISOString()}: ${this.#lastFailure.reason})` : '';
        return { ok: false, why: `nothing published yet at ${prefix || '/'} ${p.dist}${failed}` };
      }
    }
    if (this.#lastFailure !== undefined) return { ok: true, why: `degraded: last refresh failed at ${this.#lastFailure.at.toISOString()}: ${this.#lastFailure.reason}` };
    return { ok: true };
  }
}
