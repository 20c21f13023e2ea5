import { join } from 'node:path';
import { DebstashError } from '../errors/debstash-error.js';
import { openSigner } from '../keys/open-signer.js';
import { exportTree, type ExportTreeResult } from '../publish/export-tree.js';
import { normalizePublicUrl } from '../publish/snapshots-template.js';
import { BucketTree } from '../publish/bucket-tree.js';
import { publishTree } from '../publish/publish-tree.js';
import { unpublishTree } from '../publish/unpublish-tree.js';
import type { PackageEntry, PublishMeta, PublishRecord } from '../store/records.js';
import { binaryArchitectures } from './binary-architectures.js';
import type { Context } from './context.js';
import { normalizePrefix, requirePublish } from './require-publish.js';
import { requireRepo, requireSnapshot } from './require-set.js';
import { lockKey } from './store-locks.js';

export interface PublishOptions {
  readonly dist: string;
  /** '' (the root) by default. */
  readonly prefix?: string;
  /** Publish everything in this one component instead of the packages' own. */
  readonly component?: string;
  readonly keyFingerprint?: string;
  readonly passphrase?: string;
  readonly origin?: string;
  readonly label?: string;
  readonly architectures?: readonly string[];
  /** Write Contents-ARCH.gz indexes. */
  readonly contents?: boolean;
  /** Add MD5Sum to Release. */
  readonly md5?: boolean;
  /** The server's public URL: Release then offers apt's time travel (`Snapshots:`). */
  readonly publicUrl?: string;
  /** Generations kept (by-hash, pool paths, time travel); default 3. */
  readonly keepGenerations?: number;
  readonly signal?: AbortSignal;
}

/** What switch and update take besides the publish's name: its public URL and generations kept may change there. */
export interface RepublishOptions {
  readonly prefix?: string;
  readonly passphrase?: string;
  /** Replaces the publish's public URL (`Snapshots:`); kept when absent. */
  readonly publicUrl?: string;
  /** Replaces the publish's number of kept generations; kept when absent. */
  readonly keepGenerations?: number;
  readonly signal?: AbortSignal;
}

/** The record's `publicUrl` (checked and normalized) and `keepGenerations`, where given. */
function historyFields(options: { readonly publicUrl?: string; readonly keepGenerations?: number }): Pick<PublishRecord, 'publicUrl' | 'keepGenerations'> {
  return {
    ...(options.publicUrl !== undefined ? { publicUrl: normalizePublicUrl(options.publicUrl, '--public-url') } : {}),
    ...(options.keepGenerations !== undefined ? { keepGenerations: options.keepGenerations } : {}),
  };
}


function architecturesOf(packages: readonly PackageEntry[], explicit: readonly string[] | undefined): string[] {
  if (explicit !== undefined && explicit.length > 0) return [...explicit];
  const archs = binaryArchitectures(packages);
  if (archs.length === 0) {
    throw new DebstashError('DEBSTASH_E_USAGE', 'only Architecture: all packages: say which architectures to publish them for with --arch', {});
  }
  return archs;
}

function byComponent(packages: readonly PackageEntry[], override: string | undefined): { name: string; packages: PackageEntry[] }[] {
  const map = new Map<string, PackageEntry[]>();
  for (const p of packages) {
    const c = override ?? p.component;
    let list = map.get(c);
    if (list === undefined) map.set(c, (list = []));
    // Not copied with the new component: publishTree files packages under their list's name.
    list.push(p);
  }
  return [...map].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, list]) => ({ name, packages: list }));
}

/** The packages a publish shows, their stanzas read only when used (see packagesToPublish). */
async function sourcePackages(ctx: Context, source: PublishRecord['source']): Promise<PackageEntry[]> {
  if (source.kind === 'snapshot') await requireSnapshot(ctx, source.name);
  else await requireRepo(ctx, source.name);
  return ctx.store.packagesToPublish(source);
}

/** Package file lists for Contents indexes, kept by the .deb's SHA-256 (see ContentsCache). */
export function contentsCacheDir(ctx: Context): string {
  return join(ctx.dataDir, 'cache', 'contents');
}

/**
 * Writes the tree of `record` with its source's current packages and stores the record. The
 * caller holds the locks of the publish and of its source (see withPublishLocks); the record
 * is saved in a transaction that checks again what the publish depends on, so it never names
 * a source that is gone nor replaces a publish it did not mean to.
 */
async function write(
  ctx: Context,
  record: Omit<PublishRecord, 'releaseSha256' | 'updatedAt'>,
  options: { passphrase?: string; signal?: AbortSignal },
  expect: 'new' | 'existing',
): Promise<PublishRecord> {
  const packages = await sourcePackages(ctx, record.source);
  // The key is unlocked and checked before anything is written.
  const signer = await openSigner(ctx.store, { fingerprint: record.keyFingerprint, ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}) });
  const bucket = bucketTree(ctx, record.prefix, record.dist);
  await bucket?.hydrate();
  const result = await publishTree({
    root: ctx.publicDir,
    prefix: record.prefix,
    dist: record.dist,
    components: byComponent(packages, record.component),
    architectures: record.architectures,
    meta: record.meta,
    signer,
    pool: ctx.pool,
    store: ctx.store,
    deferred: async () => new Set((await ctx.store.deferredFiles()).keys()),
    ...(record.md5 === true ? { md5: true } : {}),
    ...(record.publicUrl !== undefined ? { publicUrl: record.publicUrl } : {}),
    ...(record.keepGenerations !== undefined ? { keepGenerations: record.keepGenerations } : {}),
    // Loaded only for Contents: it brings the .deb reader and its decoders.
    ...(record.contents === true ? { contents: new (await import('../publish/contents-cache.js')).ContentsCache(contentsCacheDir(ctx), ctx.pool) } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(bucket !== undefined ? { onStep: (step) => bucket.step(step) } : {}),
  });
  const saved: PublishRecord = { ...record, updatedAt: new Date().toISOString(), releaseSha256: result.releaseSha256 };
  await ctx.store.transaction(async (tx) => {
    const { kind, name } = record.source;
    if ((kind === 'repo' ? await tx.getRepo(name) : await tx.getSnapshot(name)) === undefined) {
      throw new DebstashError(kind === 'repo' ? 'DEBSTASH_E_REPO_NOT_FOUND' : 'DEBSTASH_E_SNAPSHOT_NOT_FOUND', `${kind} "${name}" was dropped while it was being published`, { [kind]: name });
    }
    const current = await tx.getPublish(record.prefix, record.dist);
    if (expect === 'new' && current !== undefined) throw publishExists(record.prefix, record.dist);
    if (expect === 'existing' && current === undefined) throw publishNotFound(record.prefix, record.dist);
    await tx.savePublish(saved);
  });
  return saved;
}

/**
 * Runs `fn` holding the store locks of the publish at (prefix, dist) and of the source it
 * shows: one publisher per publish across every process, and no drop of the source
 * meanwhile. A second publisher waits (as the tree writer's lock did); a drop of the source
 * fails fast instead (see dropRepo).
 */
function withPublishLocks<T>(ctx: Context, prefix: string, dist: string, source: PublishRecord['source'], signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
  return ctx.locks.with([...publishKeys(ctx, prefix, dist), lockKey.source(source)], fn, { mode: 'wait', ...(signal ? { signal } : {}) });
}

/** The locks of a publisher of (prefix, dist); with the trees in the bucket, also the prefix's (see lockKey). */
function publishKeys(ctx: Context, prefix: string, dist: string): string[] {
  return ctx.pool.publicObjects === undefined ? [lockKey.publish(prefix, dist)] : [lockKey.publish(prefix, dist), lockKey.publishPrefix(prefix)];
}

/** The bucket's copy of (prefix, dist) when the trees are in the bucket (S3 storage); see BucketTree. */
function bucketTree(ctx: Context, prefix: string, dist: string): BucketTree | undefined {
  const objects = ctx.pool.publicObjects?.();
  return objects === undefined ? undefined : new BucketTree({ objects, store: ctx.store, root: ctx.publicDir, prefix, dist });
}

const publishExists = (prefix: string, dist: string): DebstashError =>
  new DebstashError('DEBSTASH_E_PUBLISH_EXISTS', `${prefix || '/'} ${dist} is published already; use "debstash publish switch" to change what it shows`, { prefix, dist });

const publishNotFound = (prefix: string, dist: string): DebstashError =>
  new DebstashError('DEBSTASH_E_PUBLISH_NOT_FOUND', `nothing is published at ${prefix || '/'} ${dist}`, { prefix, dist });

/** `publish snapshot|repo NAME --dist DIST [--prefix P]`: a new signed tree at PREFIX/dists/DIST. */
export async function publish(ctx: Context, source: PublishRecord['source'], options: PublishOptions): Promise<PublishRecord> {
  const prefix = normalizePrefix(options.prefix);
  const history = historyFields(options);
  return withPublishLocks(ctx, prefix, options.dist, source, options.signal, async () => {
    if ((await ctx.store.getPublish(prefix, options.dist)) !== undefined) throw publishExists(prefix, options.dist);
    const packages = await sourcePackages(ctx, source);
    const signer = await openSigner(ctx.store, { ...(options.keyFingerprint ? { fingerprint: options.keyFingerprint } : {}), ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}) });
    const meta: PublishMeta = {
      origin: options.origin ?? 'debstash',
      label: options.label ?? (prefix ? `${prefix} ${options.dist}` : options.dist),
      suite: options.dist,
      codename: options.dist,
    };
    const now = new Date().toISOString();
    return write(
      ctx,
      {
        prefix,
        dist: options.dist,
        source,
        ...(options.component ? { component: options.component } : {}),
        architectures: architecturesOf(packages, options.architectures),
        meta,
        ...(options.contents === true ? { contents: true } : {}),
        ...(options.md5 === true ? { md5: true } : {}),
        ...history,
        keyFingerprint: signer.fingerprint,
        createdAt: now,
      },
      options,
      'new',
    );
  });
}

/**
 * `publish switch DIST SNAPSHOT`: the same publish (Origin, Label, Suite, Codename, key and
 * architectures kept, so clients see no Release-info change) now shows another snapshot.
 */
export async function switchPublish(ctx: Context, dist: string, snapshot: string, options: RepublishOptions = {}): Promise<PublishRecord> {
  const prefix = normalizePrefix(options.prefix);
  const history = historyFields(options);
  return withPublishLocks(ctx, prefix, dist, { kind: 'snapshot', name: snapshot }, options.signal, async () => {
    const current = await requirePublish(ctx, prefix, dist);
    await requireSnapshot(ctx, snapshot);
    return write(ctx, { ...current, source: { kind: 'snapshot', name: snapshot }, ...history }, options, 'existing');
  });
}

/** Republishes a publish with its source's current contents (what a repo publish needs after `repo add`). */
export async function updatePublish(ctx: Context, dist: string, options: RepublishOptions = {}): Promise<PublishRecord> {
  const prefix = normalizePrefix(options.prefix);
  const history = historyFields(options);
  // The source's lock is named by the record, which a switch may change while this waits for
  // the locks: then read it again and take the new source's lock instead.
  for (let attempt = 1; ; attempt++) {
    const before = await requirePublish(ctx, prefix, dist);
    const done = await withPublishLocks(ctx, prefix, dist, before.source, options.signal, async () => {
      const current = await requirePublish(ctx, prefix, dist);
      const same = current.source.kind === before.source.kind && current.source.name === before.source.name;
      return same ? write(ctx, { ...current, ...history }, options, 'existing') : undefined;
    });
    if (done !== undefined) return done;
    if (attempt === 3) {
      throw new DebstashError('DEBSTASH_E_BUSY', `cannot republish ${prefix || '/'} ${dist}: other processes keep switching it`, { prefix, dist });
    }
  }
}

/**
 * `publish export DIR [--prefix P] [DIST]` (and `--export DIR` of publish, switch and update):
 * the publish as a plain tree in DIR for another web server; see exportTree.
 */
export async function exportPublish(ctx: Context, dest: string, options: { prefix?: string; dist?: string; signal?: AbortSignal } = {}): Promise<ExportTreeResult> {
  const prefix = normalizePrefix(options.prefix);
  if (options.dist !== undefined) await requirePublish(ctx, options.prefix, options.dist);
  else if (!(await ctx.store.listPublishes()).some((p) => p.prefix === prefix)) {
    throw new DebstashError('DEBSTASH_E_PUBLISH_NOT_FOUND', `nothing is published at ${prefix || '/'}`, { prefix });
  }
  await refuseUnfetched(ctx, prefix);
  if (ctx.pool.publicObjects !== undefined) {
    // The trees are the bucket's: this data dir's copy is brought up to date first.
    const dists = options.dist !== undefined ? [options.dist] : (await ctx.store.listPublishes()).filter((p) => p.prefix === prefix).map((p) => p.dist);
    await ctx.locks.with([lockKey.publishPrefix(prefix)], async () => {
      for (const dist of dists) await bucketTree(ctx, prefix, dist)?.hydrate();
    });
  }
  return exportTree({
    root: ctx.publicDir,
    prefix,
    dest,
    ...(options.dist !== undefined ? { dists: [options.dist] } : {}),
    store: ctx.store,
    pool: ctx.pool,
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/**
 * An exported tree is served by another web server, which cannot fetch on-demand files: the
 * export refuses, before writing anything, when the prefix shows one the pool lacks.
 */
async function refuseUnfetched(ctx: Context, prefix: string): Promise<void> {
  const deferred = await ctx.store.deferredFiles();
  if (deferred.size === 0) return;
  let absent = 0;
  let example: string | undefined;
  for (const f of await ctx.store.poolView(prefix)) {
    if (!deferred.has(f.sha256) || (await ctx.pool.has(f.sha256))) continue;
    absent++;
    example ??= f.path;
  }
  if (example !== undefined) {
    throw new DebstashError('DEBSTASH_E_ON_DEMAND_NOT_FETCHED', `${prefix || '/'} shows ${absent} on-demand files not fetched yet (e.g. ${example}); an exported tree must hold every file`, { prefix, absent });
  }
}

/**
 * `publish drop`: under the publish's lock (after a publish in progress there), the record
 * goes first, so /readyz and client-config stop naming it, then the tree.
 */
export async function dropPublish(ctx: Context, dist: string, options: { prefix?: string } = {}): Promise<void> {
  const prefix = normalizePrefix(options.prefix);
  await ctx.locks.with(publishKeys(ctx, prefix, dist), async () => {
    await ctx.store.transaction(async (tx) => {
      if ((await tx.getPublish(prefix, dist)) === undefined) throw publishNotFound(prefix, dist);
      await tx.dropPublish(prefix, dist);
    });
    const bucket = bucketTree(ctx, prefix, dist);
    await bucket?.hydrate();
    await unpublishTree({ root: ctx.publicDir, prefix, dist, store: ctx.store });
    await bucket?.unpublish();
  });
}
