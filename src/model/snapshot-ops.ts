import { compareVersions } from '../deb/version.js';
import { DebstashError } from '../errors/debstash-error.js';
import { type PackageEntry, packageKey, type SnapshotOrigin, type SnapshotRecord, type UnresolvedDependency } from '../store/records.js';
import type { Context } from './context.js';
import { requireMirror } from './mirror-admin.js';
import { dropUnpublished } from './require-publish.js';
import { requireRepo, requireSnapshot } from './require-set.js';
import { validateName } from './validate-name.js';

export { requireSnapshot } from './require-set.js';

/**
 * Stores a snapshot of `packages`; without them, of everything its origins hold, copied inside
 * the store (a snapshot of 20,000 packages then never reads them).
 */
async function save(ctx: Context, name: string, description: string, origins: readonly SnapshotOrigin[], packages?: readonly PackageEntry[]): Promise<SnapshotRecord> {
  validateName('snapshot', name);
  const createdAt = new Date().toISOString();
  await ctx.store.transaction((tx) =>
    packages === undefined ? tx.createSnapshotOfOrigins(name, description, origins, createdAt) : tx.createSnapshot(name, description, origins, packages, createdAt),
  );
  return requireSnapshot(ctx, name);
}

/** Freezes what a mirror or repo holds now. */
export async function createSnapshot(ctx: Context, name: string, from: { readonly mirror: string } | { readonly repo: string }): Promise<SnapshotRecord> {
  if ('mirror' in from) {
    const m = await requireMirror(ctx, from.mirror);
    if (m.updatedAt === undefined) {
      throw new DebstashError('DEBSTASH_E_USAGE', `mirror "${from.mirror}" was never updated; run "debstash mirror update ${from.mirror}" first`, { mirror: from.mirror });
    }
    return save(ctx, name, `snapshot of mirror ${from.mirror} (${m.config.url} ${m.config.dist}) updated ${m.updatedAt}`, [{ kind: 'mirror', name: from.mirror }]);
  }
  await requireRepo(ctx, from.repo);
  return save(ctx, name, `snapshot of repo ${from.repo}`, [{ kind: 'repo', name: from.repo }]);
}

const slot = (p: PackageEntry): string => `${p.kind} ${p.name} ${p.architecture}`;

/** Keeps, per (kind, name, architecture), only the packages of the newest version. */
function latestOnly(packages: readonly PackageEntry[]): PackageEntry[] {
  const newest = new Map<string, string>();
  for (const p of packages) {
    const v = newest.get(slot(p));
    if (v === undefined || compareVersions(p.version, v) > 0) newest.set(slot(p), p.version);
  }
  return packages.filter((p) => newest.get(slot(p)) === p.version);
}

function union(sets: readonly (readonly PackageEntry[])[]): PackageEntry[] {
  const seen = new Map<string, PackageEntry>();
  for (const set of sets) for (const p of set) if (!seen.has(packageKey(p))) seen.set(packageKey(p), p);
  return [...seen.values()];
}

/** `snapshot merge DEST SRC...`: the union; with `latest`, only the newest version of each package. */
export async function mergeSnapshots(ctx: Context, dest: string, sources: readonly string[], options: { latest?: boolean } = {}): Promise<SnapshotRecord> {
  if (sources.length === 0) throw new DebstashError('DEBSTASH_E_USAGE', 'merge needs at least one source snapshot');
  for (const s of sources) await requireSnapshot(ctx, s);
  const origins = sources.map((name): SnapshotOrigin => ({ kind: 'snapshot', name }));
  const description = `merge of ${sources.join(', ')}${options.latest ? ' (latest versions)' : ''}`;
  // The plain union is the store's set-level copy; only --latest (dpkg version order) reads them.
  if (!options.latest) return save(ctx, dest, description, origins);
  const sets = [];
  for (const s of sources) sets.push(await ctx.store.snapshotPackages(s));
  return save(ctx, dest, description, origins, latestOnly(union(sets)));
}

/**
 * The query language and the resolver, loaded only by the operations that select packages:
 * `snapshot create` and `merge` (set-level copies in the store) start without them.
 */
async function selection(): Promise<typeof import('./close-over.js') & typeof import('./package-match.js')> {
  const [close, match] = await Promise.all([import('./close-over.js'), import('./package-match.js')]);
  return { ...close, ...match };
}

/** `snapshot filter SRC DEST QUERY [--with-deps]`. */
export async function filterSnapshot(ctx: Context, src: string, dest: string, query: string, options: { withDeps?: boolean } = {}): Promise<SnapshotRecord> {
  await requireSnapshot(ctx, src);
  const all = await ctx.store.snapshotPackages(src);
  const { closeOver, packageMatcher } = await selection();
  const matched = all.filter(packageMatcher(query));
  const packages = options.withDeps ? closeOver(matched, all).packages : matched;
  return save(ctx, dest, `filter of ${src}: ${query}${options.withDeps ? ' (with dependencies)' : ''}`, [{ kind: 'snapshot', name: src }], packages);
}

/**
 * `snapshot pull DEST SRC QUERY [--with-deps]`: a new snapshot DEST with what SRC has that
 * matches QUERY (and, with deps, what those need from SRC), each replacing older versions of
 * the same package in BASE. BASE is left as it is: snapshots never change.
 */
export async function pullIntoSnapshot(ctx: Context, base: string, src: string, dest: string, query: string, options: { withDeps?: boolean } = {}): Promise<SnapshotRecord> {
  await requireSnapshot(ctx, base);
  await requireSnapshot(ctx, src);
  const into = await ctx.store.snapshotPackages(base);
  const from = await ctx.store.snapshotPackages(src);
  const { closeOver, packageMatcher } = await selection();
  const matched = from.filter(packageMatcher(query));
  const pulled = options.withDeps ? closeOver(matched, from).packages : matched;
  const replacedSlots = new Set(pulled.map(slot));
  const packages = union([into.filter((p) => !replacedSlots.has(slot(p))), pulled]);
  return save(ctx, dest, `${base} with ${query} pulled from ${src}`, [{ kind: 'snapshot', name: base }, { kind: 'snapshot', name: src }], packages);
}

export interface SnapshotDiff {
  /** `size`, `fromSize`, `toSize`: bytes of the package's files (the .deb; a source package's all). */
  readonly added: readonly { name: string; architecture: string; version: string; size: number }[];
  readonly removed: readonly { name: string; architecture: string; version: string; size: number }[];
  readonly upgraded: readonly { name: string; architecture: string; from: string; to: string; fromSize: number; toSize: number }[];
  readonly downgraded: readonly { name: string; architecture: string; from: string; to: string; fromSize: number; toSize: number }[];
}

const bytesOf = (p: PackageEntry): number => p.files.reduce((sum, f) => sum + f.size, 0);

/** `snapshot diff A B`: what changes going from A to B, per package name and architecture. */
export async function diffSnapshots(ctx: Context, a: string, b: string): Promise<SnapshotDiff> {
  await requireSnapshot(ctx, a);
  await requireSnapshot(ctx, b);
  const versions = (set: readonly PackageEntry[]): Map<string, PackageEntry> => new Map(latestOnly(set).map((p) => [slot(p), p]));
  const left = versions(await ctx.store.snapshotPackages(a));
  const right = versions(await ctx.store.snapshotPackages(b));
  const diff: { added: SnapshotDiff['added'][number][]; removed: SnapshotDiff['removed'][number][]; upgraded: SnapshotDiff['upgraded'][number][]; downgraded: SnapshotDiff['downgraded'][number][] } = {
    added: [],
    removed: [],
    upgraded: [],
    downgraded: [],
  };
  for (const [key, p] of right) {
    const before = left.get(key);
    if (before === undefined) diff.added.push({ name: p.name, architecture: p.architecture, version: p.version, size: bytesOf(p) });
    else {
      const c = compareVersions(p.version, before.version);
      const change = { name: p.name, architecture: p.architecture, from: before.version, to: p.version, fromSize: bytesOf(before), toSize: bytesOf(p) };
      if (c > 0) diff.upgraded.push(change);
      if (c < 0) diff.downgraded.push(change);
    }
  }
  for (const [key, p] of left) if (!right.has(key)) diff.removed.push({ name: p.name, architecture: p.architecture, version: p.version, size: bytesOf(p) });
  return diff;
}

/** `snapshot verify NAME`: dependencies the snapshot cannot satisfy by itself. */
export async function verifySnapshot(ctx: Context, name: string): Promise<UnresolvedDependency[]> {
  await requireSnapshot(ctx, name);
  const all = await ctx.store.snapshotPackages(name);
  return (await selection()).closeOver(all, all).unresolved;
}

/** Drops a snapshot unless a publish shows it (see dropUnpublished). */
export async function dropSnapshot(ctx: Context, name: string): Promise<void> {
  await dropUnpublished(ctx, { kind: 'snapshot', name });
}
