import { join } from 'node:path';
import { DebstashError } from '../errors/debstash-error.js';
import { openSigner } from '../keys/open-signer.js';
import { publishTree } from '../publish/publish-tree.js';
import { unpublishTree } from '../publish/unpublish-tree.js';
import type { PackageEntry, PublishMeta, PublishRecord } from '../store/records.js';
import { binaryArchitectures } from './binary-architectures.js';
import type { Context } from './context.js';
import { normalizePrefix, requirePublish } from './require-publish.js';
import { requireRepo, requireSnapshot } from './require-set.js';

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
  readonly signal?: AbortSignal;
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

/** Writes the tree of `record` with its source's current packages and stores the record. */
async function write(ctx: Context, record: Omit<PublishRecord, 'releaseSha256' | 'updatedAt'>, options: { passphrase?: string; signal?: AbortSignal }): Promise<PublishRecord> {
  const packages = await sourcePackages(ctx, record.source);
  // The key is unlocked and checked before anything is written.
  const signer = await openSigner(ctx.dataDir, { fingerprint: record.keyFingerprint, ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}) });
  const result = await publishTree({
    root: ctx.publicDir,
    prefix: record.prefix,
    dist: record.dist,
    components: byComponent(packages, record.component),
    architectures: record.architectures,
    meta: record.meta,
    signer,
    pool: ctx.pool,
    ...(record.md5 === true ? { md5: true } : {}),
    // Loaded only for Contents: it brings the .deb reader and its decoders.
    ...(record.contents === true ? { contents: new (await import('../publish/contents-cache.js')).ContentsCache(contentsCacheDir(ctx), ctx.pool) } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const saved: PublishRecord = { ...record, updatedAt: new Date().toISOString(), releaseSha256: result.releaseSha256 };
  await ctx.store.transaction((tx) => tx.savePublish(saved));
  return saved;
}

/** `publish snapshot|repo NAME --dist DIST [--prefix P]`: a new signed tree at PREFIX/dists/DIST. */
export async function publish(ctx: Context, source: PublishRecord['source'], options: PublishOptions): Promise<PublishRecord> {
  const prefix = normalizePrefix(options.prefix);
  if ((await ctx.store.getPublish(prefix, options.dist)) !== undefined) {
    throw new DebstashError('DEBSTASH_E_PUBLISH_EXISTS', `${prefix || '/'} ${options.dist} is published already; use "debstash publish switch" to change what it shows`, { prefix, dist: options.dist });
  }
  const packages = await sourcePackages(ctx, source);
  const signer = await openSigner(ctx.dataDir, { ...(options.keyFingerprint ? { fingerprint: options.keyFingerprint } : {}), ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}) });
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
      keyFingerprint: signer.fingerprint,
      createdAt: now,
    },
    options,
  );
}

/**
 * `publish switch DIST SNAPSHOT`: the same publish (Origin, Label, Suite, Codename, key and
 * architectures kept, so clients see no Release-info change) now shows another snapshot.
 */
export async function switchPublish(ctx: Context, dist: string, snapshot: string, options: { prefix?: string; passphrase?: string; signal?: AbortSignal } = {}): Promise<PublishRecord> {
  const current = await requirePublish(ctx, options.prefix, dist);
  await requireSnapshot(ctx, snapshot);
  return write(ctx, { ...current, source: { kind: 'snapshot', name: snapshot } }, options);
}

/** Republishes a repo publish with the repo's current contents. */
export async function updatePublish(ctx: Context, dist: string, options: { prefix?: string; passphrase?: string; signal?: AbortSignal } = {}): Promise<PublishRecord> {
  return write(ctx, await requirePublish(ctx, options.prefix, dist), options);
}

/** `publish drop`: the record goes first, so /readyz and client-config stop naming it, then the tree. */
export async function dropPublish(ctx: Context, dist: string, options: { prefix?: string } = {}): Promise<void> {
  const p = await requirePublish(ctx, options.prefix, dist);
  await ctx.store.transaction((tx) => tx.dropPublish(p.prefix, p.dist));
  await unpublishTree({ root: ctx.publicDir, prefix: p.prefix, dist: p.dist });
}
