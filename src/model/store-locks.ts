import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { DebstashError } from '../errors/debstash-error.js';
import type { LockRecord, StoreOwner } from '../store/coordination-records.js';
import type { Store } from '../store/store.js';
import { ResourceLocks } from './resource-lock.js';

/** A held lock expires this long after its last renewal: how long a dead holder on another host blocks. */
export const LOCK_TTL_MS = 30_000;
/** How often a waiter asks again. */
const POLL_MS = 200;

/** Owners alive in this process: a row with our pid but another id is a dead process's that had our pid. */
const liveOwners = new Set<string>();

export function newOwner(): StoreOwner {
  return { host: hostname(), pid: process.pid, id: randomBytes(9).toString('hex') };
}

/**
 * Whether `owner` is known to be gone: on this host, its process no longer runs (or, with our
 * pid, it is no owner of ours). Another host's processes cannot be asked: there the expiry of
 * the lock or heartbeat decides.
 */
export function ownerDead(owner: StoreOwner): boolean {
  if (owner.host !== hostname()) return false;
  if (owner.pid === process.pid) return !liveOwners.has(owner.id);
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (err) {
    // EPERM: it runs, as another user.
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * The names of the locks: one updater per mirror; one publisher per prefix and dist; a publish
 * also holds its source (repo or snapshot) so that it cannot be dropped under it.
 */
export const lockKey = {
  mirror: (name: string): string => `mirror:${name}`,
  source: (source: { readonly kind: 'repo' | 'snapshot'; readonly name: string }): string => `${source.kind}:${source.name}`,
  /** `prefix` normalized (see normalizePrefix). */
  publish: (prefix: string, dist: string): string => `publish:/${prefix}${prefix ? '/' : ''}${dist}`,
  /**
   * Every publisher of a prefix whose trees are in the bucket: they read and prune the pool
   * paths the prefix's dists share (on disk the prefix's lock file does this per host).
   */
  publishPrefix: (prefix: string): string => `publish-prefix:/${prefix}`,
  /** The lease of `up`'s refresh: one replica applies the config at a time. */
  refresh: (): string => 'refresh:config',
};

export const describeOwner = (owner: StoreOwner): string => (owner.host === hostname() ? `pid ${owner.pid}` : `pid ${owner.pid} on ${owner.host}`);

/**
 * What to do when another process holds a lock: `wait` until it is released, taken over or
 * `signal` aborts (DEBSTASH_E_CANCELLED), telling `onWait` who is waited for; or `fail` at once
 * with DEBSTASH_E_BUSY naming the holder.
 */
export type LockWait =
  | { readonly mode: 'wait'; readonly signal?: AbortSignal; readonly onWait?: (holder: LockRecord) => void }
  | { readonly mode: 'fail'; readonly what: string };

/**
 * Locks that hold across every process sharing the store (issue 13): a lock is a row of the
 * store (`Store.tryLock`), renewed by a heartbeat while held, taken over when its holder died.
 * Work in this process on one resource is queued in memory first (ResourceLocks), so only one
 * caller per process polls the store; the store row is the truth.
 */
export class StoreLocks {
  readonly owner: StoreOwner = newOwner();
  readonly #store: Store;
  readonly #local = new ResourceLocks();
  readonly #ttlMs: number;
  /** Resources this owner holds in the store: while there are any, the heartbeat renews them. */
  readonly #held = new Set<string>();
  #heartbeat: NodeJS.Timeout | undefined;

  constructor(store: Store, options: { readonly ttlMs?: number } = {}) {
    this.#store = store;
    this.#ttlMs = options.ttlMs ?? LOCK_TTL_MS;
    liveOwners.add(this.owner.id);
  }

  /**
   * Runs `fn` holding every resource, here and in the store. Resources are taken in sorted
   * order, so two callers needing overlapping sets cannot each hold one the other waits for.
   */
  async with<T>(resources: readonly string[], fn: () => Promise<T>, wait: LockWait = { mode: 'wait' }): Promise<T> {
    const keys = [...new Set(resources)].sort();
    if (wait.mode === 'fail') {
      const busy = this.#local.busyKeys().find((k) => keys.includes(k));
      if (busy !== undefined) throw busyError(wait.what, busy, this.owner);
    }
    return this.#local.with(keys, async () => {
      const taken: string[] = [];
      try {
        for (const key of keys) {
          await this.#take(key, wait);
          taken.push(key);
          this.#held.add(key);
          this.#beat();
        }
        return await fn();
      } finally {
        for (const key of taken.reverse()) {
          this.#held.delete(key);
          await this.#store.unlock(key, this.owner).catch(() => undefined);
        }
        if (this.#held.size === 0) this.#stopBeat();
      }
    }, wait.mode === 'wait' ? wait.signal : undefined);
  }

  /** Stops renewing; the process's locks are released by their callers, or expire. */
  close(): void {
    this.#stopBeat();
    liveOwners.delete(this.owner.id);
  }

  async #take(resource: string, wait: LockWait): Promise<void> {
    let told: string | undefined;
    for (;;) {
      if (wait.mode === 'wait' && wait.signal?.aborted) {
        throw new DebstashError('DEBSTASH_E_CANCELLED', `cancelled while waiting for ${resource}`, { resource });
      }
      const attempt = await this.#store.tryLock(resource, this.owner, this.#ttlMs, (holder) => ownerDead(holder.owner));
      if (attempt.acquired) return;
      if (wait.mode === 'fail') throw busyError(wait.what, resource, attempt.holder.owner);
      if (told !== attempt.holder.owner.id) {
        told = attempt.holder.owner.id;
        wait.onWait?.(attempt.holder);
      }
      await sleep(POLL_MS + Math.random() * POLL_MS, undefined, wait.signal ? { signal: wait.signal } : {}).catch(() => undefined);
    }
  }

  #beat(): void {
    if (this.#heartbeat !== undefined) return;
    // A third of the expiry: two renewals may fail (a busy store, a long synchronous step)
    // before another process could take the lock over.
    this.#heartbeat = setInterval(() => void this.#store.renewLocks(this.owner, this.#ttlMs).catch(() => undefined), this.#ttlMs / 3);
    this.#heartbeat.unref();
  }

  #stopBeat(): void {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }
}

function busyError(what: string, resource: string, holder: StoreOwner): DebstashError {
  return new DebstashError('DEBSTASH_E_BUSY', `cannot ${what}: ${resource} is held by ${describeOwner(holder)}`, { resource, pid: holder.pid, host: holder.host });
}
