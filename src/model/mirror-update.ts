import { createHash } from 'node:crypto';
import { DebstashError } from '../errors/debstash-error.js';
import type { MirrorConfig, MirrorSyncState, FilterWarning, UnresolvedDependency } from '../store/records.js';
import { fetchRelease } from '../upstream/fetch-release.js';
import { UpstreamClient } from '../upstream/http-client.js';
import { checkFilter } from './check-filter.js';
import type { Context } from './context.js';
import { requireMirror } from './mirror-admin.js';
import { type ProgressSink, silentProgress } from './progress.js';
import { describeOwner, lockKey } from './store-locks.js';

export interface UpdateMirrorOptions {
  readonly dryRun?: boolean;
  /**
   * The most downloads at once (default 16). They start at 8 (or this, if lower) and grow while
   * throughput grows.
   */
  readonly concurrency?: number;
  readonly signal?: AbortSignal;
  readonly progress?: ProgressSink;
  readonly now?: Date;
  /** Re-select even when upstream and config are unchanged. */
  readonly force?: boolean;
  /** Unsatisfiable dependencies fail the update (before any download) instead of warning. */
  readonly strictDeps?: boolean;
  /** A filter term that matches no package fails the update (before any download) instead of warning. */
  readonly strictFilter?: boolean;
  /** An existing client (tests set short retry delays); one is made and closed otherwise. */
  readonly client?: UpstreamClient;
}

export interface PackageChange {
  readonly kind: string;
  readonly name: string;
  readonly version: string;
  readonly architecture: string;
}

export interface UpdateMirrorResult {
  readonly mirror: string;
  /** Upstream and config unchanged since the last update: nothing was read or selected. */
  readonly upToDate: boolean;
  readonly dryRun: boolean;
  readonly packages: number;
  readonly added: readonly PackageChange[];
  readonly removed: readonly PackageChange[];
  /** Files missing from the pool: downloaded, or (dry run) to download. */
  readonly downloadFiles: number;
  readonly downloadBytes: number;
  /**
   * Files of an on-demand or cache-on-serve mirror that the update left for a client's first
   * request (every file the selection lists; 0 for an immediate mirror).
   */
  readonly deferredFiles: number;
  readonly deferredBytes: number;
  readonly unresolved: readonly UnresolvedDependency[];
  /** Filter terms that matched nothing (from the last selection when `upToDate`). */
  readonly warnings: readonly FilterWarning[];
}

/** Downloads at once at the start of an update; more while throughput grows. */
const INITIAL_DOWNLOADS = 8;
/** The bound on downloads at once when the caller sets none. */
const DEFAULT_MAX_DOWNLOADS = 16;

function configHash(config: MirrorConfig): string {
  return createHash('sha256').update(JSON.stringify(config)).digest('hex');
}

/**
 * `mirror update`: fetch and verify the upstream Release, select (filter + dependency closure),
 * download what the pool lacks, then commit the new package list in one transaction. Anything
 * that fails or is cancelled before the commit leaves the previous list exactly as it was.
 *
 * An unchanged upstream is one conditional request: the keyring is read and OpenPGP loaded only
 * when a new Release has to be verified, and the rest (mirror-sync.ts: parsers, filter,
 * resolver, codecs) is loaded only when there is something to select.
 *
 * One update per mirror runs at a time across every process on the store (the store lock
 * "mirror:NAME"): a second one waits, saying for whom, and then starts from what the first
 * committed (usually finding upstream unchanged). Waiting rather than failing, because a
 * cron job or a refresh wants the mirror updated, which the wait achieves. A dry run changes
 * nothing and takes no lock.
 */
export async function updateMirror(ctx: Context, name: string, options: UpdateMirrorOptions = {}): Promise<UpdateMirrorResult> {
  if (options.dryRun === true) return updateLocked(ctx, name, options);
  await requireMirror(ctx, name);
  const progress = options.progress ?? silentProgress;
  return ctx.locks.with([lockKey.mirror(name)], () => updateLocked(ctx, name, options), {
    mode: 'wait',
    ...(options.signal ? { signal: options.signal } : {}),
    onWait: (holder) => progress({ type: 'phase', phase: 'wait', message: `${name}: waiting for the update running in ${describeOwner(holder.owner)}` }),
  });
}

async function updateLocked(ctx: Context, name: string, options: UpdateMirrorOptions): Promise<UpdateMirrorResult> {
  const mirror = await requireMirror(ctx, name);
  const { config } = mirror;
  const progress = options.progress ?? silentProgress;
  const signal = options.signal;
  const hash = configHash(config);
  const downloads = { max: options.concurrency ?? DEFAULT_MAX_DOWNLOADS, initial: Math.min(INITIAL_DOWNLOADS, options.concurrency ?? DEFAULT_MAX_DOWNLOADS) };
  // Connections enough for the most downloads at once the adaptive limit may reach.
  const client = options.client ?? new UpstreamClient({ concurrency: downloads.max });
  try {
    progress({ type: 'phase', phase: 'release', message: `${name}: checking ${config.url} ${config.dist}` });
    const previous = mirror.sync?.configHash === hash && options.force !== true ? mirror.sync : undefined;
    const fetched = await fetchRelease({
      client,
      baseUrl: config.url,
      dist: config.dist,
      keyring: async () => (await import('../upstream/keyring.js')).loadKeyring(config.keyrings),
      ...(options.now ? { now: options.now } : {}),
      ...(signal ? { signal } : {}),
      ...(previous
        ? {
            previous: {
              ...(previous.via ? { via: previous.via } : {}),
              ...(previous.etag ? { etag: previous.etag } : {}),
              ...(previous.lastModified ? { lastModified: previous.lastModified } : {}),
              ...(previous.validUntil ? { validUntil: new Date(previous.validUntil) } : {}),
              sha256: previous.releaseSha256,
            },
          }
        : {}),
    });
    const unchanged = async (sync: MirrorSyncState): Promise<UpdateMirrorResult> => {
      const warnings = sync.filterWarnings ?? [];
      checkFilter(name, warnings, options.strictFilter === true, progress);
      if (!options.dryRun) await ctx.store.transaction((tx) => tx.touchMirror(name, sync, new Date().toISOString()));
      return {
        mirror: name,
        upToDate: true,
        dryRun: options.dryRun === true,
        packages: mirror.packageCount,
        added: [],
        removed: [],
        downloadFiles: 0,
        downloadBytes: 0,
        deferredFiles: 0,
        deferredBytes: 0,
        unresolved: [],
        warnings,
      };
    };
    // Not modified (304), or the very bytes verified last time: fetchRelease checked neither again.
    if (fetched.notModified && previous) {
      progress({ type: 'phase', phase: 'release', message: `${name}: upstream unchanged` });
      return await unchanged({ ...previous, ...(fetched.etag ? { etag: fetched.etag } : {}), ...(fetched.lastModified ? { lastModified: fetched.lastModified } : {}) });
    }
    if (fetched.notModified) throw new Error('upstream answered "not modified" to an unconditional request');
    const sync: MirrorSyncState = {
      releaseSha256: fetched.releaseSha256,
      via: fetched.via,
      ...(fetched.etag ? { etag: fetched.etag } : {}),
      ...(fetched.lastModified ? { lastModified: fetched.lastModified } : {}),
      date: fetched.release.date.toISOString(),
      ...(fetched.release.validUntil ? { validUntil: fetched.release.validUntil.toISOString() } : {}),
      configHash: hash,
    };
    const { syncMirror } = await import('./mirror-sync.js');
    return await syncMirror(ctx, mirror, fetched.release, sync, client, downloads, options);
  } catch (err) {
    if (signal?.aborted && !(err instanceof DebstashError && err.code === 'DEBSTASH_E_CANCELLED')) {
      throw new DebstashError('DEBSTASH_E_CANCELLED', `update of mirror "${name}" cancelled`, { mirror: name }, { cause: err });
    }
    throw err;
  } finally {
    if (options.client === undefined) await client.close();
  }
}
