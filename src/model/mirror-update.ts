import { createHash } from 'node:crypto';
import type { Paragraph } from '../deb/paragraph.js';
import type { ReleaseFile } from '../deb/release.js';
import { sourceOf } from '../deb/source-of.js';
import { DebstashError } from '../errors/debstash-error.js';
import { queryTargetFromParagraph, tallyFilter } from '../query/index.js';
import { type IndexedPackage, PackageIndex } from '../resolve/package-index.js';
import { resolveClosure } from '../resolve/resolve-closure.js';
import { type FilterWarning, type MirrorSyncState, type PackageEntry, type PackageFile, packageKey, type UnresolvedDependency } from '../store/records.js';
import { fetchIndex } from '../upstream/fetch-index.js';
import { fetchRelease } from '../upstream/fetch-release.js';
import { UpstreamClient } from '../upstream/http-client.js';
import { loadKeyring } from '../upstream/keyring.js';
import { parseDeb822Parallel } from '../workers/parse-deb822-parallel.js';
import type { Context } from './context.js';
import { filterWarnings } from './filter-warnings.js';
import { forEachConcurrent } from '../concurrency/for-each-concurrent.js';
import type { MirrorConfig } from '../store/records.js';
import { requireMirror } from './mirror-admin.js';
import { binaryEntry, sourceEntry } from './package-entry.js';
import { paragraphOf } from './package-match.js';
import { type ProgressSink, silentProgress } from './progress.js';
import { formatBytes, plural } from './human-units.js';

export interface UpdateMirrorOptions {
  readonly dryRun?: boolean;
  /** Parallel downloads (default 8). */
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
  readonly unresolved: readonly UnresolvedDependency[];
  /** Filter terms that matched nothing (from the last selection when `upToDate`). */
  readonly warnings: readonly FilterWarning[];
}

type BinaryKind = 'deb' | 'udeb';

function configHash(config: MirrorConfig): string {
  return createHash('sha256').update(JSON.stringify(config)).digest('hex');
}

const change = (p: PackageEntry): PackageChange => ({ kind: p.kind, name: p.name, version: p.version, architecture: p.architecture });

/**
 * What the upstream offers: every binary package of the mirror's components and architectures.
 * Debs and udebs are two universes: apt never reads the debian-installer indexes and the
 * installer reads nothing else, so a dependency of one kind is met by that kind only.
 */
interface UpstreamPackages {
  readonly indexes: Readonly<Record<BinaryKind, PackageIndex>>;
  readonly placement: Map<IndexedPackage, { readonly component: string; readonly kind: BinaryKind }>;
}

async function readUpstreamPackages(
  config: MirrorConfig,
  release: ReleaseFile,
  fetch: (path: string) => Promise<AsyncIterable<Uint8Array>>,
  progress: ProgressSink,
  signal: AbortSignal | undefined,
): Promise<UpstreamPackages> {
  const indexes = { deb: new PackageIndex(), udeb: new PackageIndex() };
  const placement = new Map<IndexedPackage, { component: string; kind: BinaryKind }>();
  // Architecture: all packages are listed in every binary-ARCH index; keep one of each. Only
  // they can repeat, so only they pay for a key (a third of a big index is `all`).
  const seenAll = new Set<string>();
  const read = async (path: string, component: string, kind: BinaryKind): Promise<void> => {
    for await (const p of parseDeb822Parallel(await fetch(path), { source: path, ...(signal ? { signal } : {}) })) {
      if (config.architectures.length > 1 && p.get('Architecture') === 'all') {
        const key = `${p.get('Package')} ${p.get('Version')} ${p.get('SHA256')}`;
        if (seenAll.has(key)) continue;
        seenAll.add(key);
      }
      placement.set(indexes[kind].add(p), { component, kind });
    }
  };
  for (const component of config.components) {
    for (const arch of config.architectures) {
      await read(`${component}/binary-${arch}/Packages`, component, 'deb');
      if (config.withUdebs) {
        const path = `${component}/debian-installer/binary-${arch}/Packages`;
        if (listsIndex(release, path)) await read(path, component, 'udeb');
        else progress({ type: 'warning', message: `the upstream Release lists no ${path}; no udebs for ${component}/${arch}` });
      }
    }
  }
  return { indexes, placement };
}

function listsIndex(release: ReleaseFile, path: string): boolean {
  return ['', '.xz', '.gz', '.bz2', '.zst', '.lzma'].some((ext) => release.sha256.has(`${path}${ext}`));
}

/** The dependency universes (debs, udebs) lent by `--deps-from` mirrors, as committed in the store. */
async function depsFromIndexes(ctx: Context, config: MirrorConfig): Promise<Record<BinaryKind, PackageIndex[]>> {
  const out: Record<BinaryKind, PackageIndex[]> = { deb: [], udeb: [] };
  for (const other of config.depsFrom) {
    const indexes = { deb: new PackageIndex(), udeb: new PackageIndex() };
    for (const p of await ctx.store.mirrorPackages(other)) {
      if (p.kind === 'source') continue;
      indexes[p.kind].add(paragraphOf(p));
    }
    out.deb.push(indexes.deb);
    out.udeb.push(indexes.udeb);
  }
  return out;
}

function selectBinaries(
  config: MirrorConfig,
  upstream: UpstreamPackages,
  depsFrom: Readonly<Record<BinaryKind, readonly PackageIndex[]>>,
): { roots: IndexedPackage[]; selected: readonly IndexedPackage[]; unresolved: UnresolvedDependency[]; warnings: FilterWarning[] } {
  const all = [...upstream.indexes.deb.packages(), ...upstream.indexes.udeb.packages()];
  if (config.filter === undefined) return { roots: [...all], selected: all, unresolved: [], warnings: [] };
  const filter = tallyFilter(config.filter);
  const roots = all.filter((ip) => filter.matches(queryTargetFromParagraph(ip.paragraph, upstream.placement.get(ip)?.kind ?? 'deb')));
  const warnings = filterWarnings(filter.unmatched(), config, [upstream.indexes.deb, upstream.indexes.udeb]);
  if (!config.withDeps) return { roots, selected: roots, unresolved: [], warnings };
  const selected: IndexedPackage[] = [];
  const unresolved: UnresolvedDependency[] = [];
  for (const kind of ['deb', 'udeb'] as const) {
    const ofKind = roots.filter((ip) => (upstream.placement.get(ip)?.kind ?? 'deb') === kind);
    if (ofKind.length === 0) continue;
    const closure = resolveClosure(ofKind, [upstream.indexes[kind], ...depsFrom[kind]], {
      architectures: config.architectures,
      withRecommends: config.withRecommends,
    });
    selected.push(...closure.selected);
    unresolved.push(...closure.unresolved);
  }
  return { roots, selected, unresolved, warnings };
}

/** Reports filter warnings, or with `strict` refuses them: nothing has been written yet. */
function checkFilter(name: string, warnings: readonly FilterWarning[], strict: boolean, progress: ProgressSink): void {
  const [first] = warnings;
  if (first === undefined) return;
  if (strict) {
    const more = warnings.length > 1 ? ` (and ${warnings.length - 1} more)` : '';
    throw new DebstashError('DEBSTASH_E_FILTER_UNMATCHED', `${first.message}${more}`, { mirror: name, term: first.term, count: warnings.length });
  }
  for (const w of warnings) progress({ type: 'warning', code: w.code, message: `${name}: ${w.message}` });
}

async function selectSources(
  config: MirrorConfig,
  release: ReleaseFile,
  binaries: readonly PackageEntry[],
  fetch: (path: string) => Promise<AsyncIterable<Uint8Array>>,
  progress: ProgressSink,
  signal: AbortSignal | undefined,
): Promise<{ sources: PackageEntry[]; unresolved: UnresolvedDependency[] }> {
  // Source "name version" → the binaries built from it (several, as a rule).
  const wanted = new Map<string, string[]>();
  for (const b of binaries) {
    const s = sourceOf(paragraphOf(b));
    const key = `${s.name} ${s.version}`;
    const binary = `${b.name}_${b.version}_${b.architecture}`;
    const built = wanted.get(key);
    if (built === undefined) wanted.set(key, [binary]);
    else built.push(binary);
  }
  const sources: PackageEntry[] = [];
  for (const component of config.components) {
    const path = `${component}/source/Sources`;
    if (!listsIndex(release, path)) {
      progress({ type: 'warning', message: `the upstream Release lists no ${path}; no source packages from ${component}` });
      continue;
    }
    for await (const p of parseDeb822Parallel(await fetch(path), { source: path, ...(signal ? { signal } : {}) })) {
      const key = `${p.get('Package')} ${p.get('Version')}`;
      if (!wanted.has(key)) continue;
      wanted.delete(key);
      sources.push(sourceEntry(p, component));
    }
  }
  const unresolved = [...wanted].flatMap(([key, built]) => {
    const [source, version] = key.split(' ');
    return built.map((binary) => ({ package: binary, dependency: `source ${source} (= ${version})` }));
  });
  return { sources, unresolved };
}

/** Every file the new contents need that the pool lacks, each once. */
async function missingFiles(ctx: Context, entries: readonly PackageEntry[]): Promise<PackageFile[]> {
  const byHash = new Map<string, PackageFile>();
  for (const e of entries) for (const f of e.files) if (!byHash.has(f.sha256)) byHash.set(f.sha256, f);
  const missing: PackageFile[] = [];
  for (const f of byHash.values()) if (!(await ctx.pool.has(f.sha256))) missing.push(f);
  return missing;
}

/**
 * `mirror update`: fetch and verify the upstream Release, select (filter + dependency closure),
 * download what the pool lacks, then commit the new package list in one transaction. Anything
 * that fails or is cancelled before the commit leaves the previous list exactly as it was.
 */
export async function updateMirror(ctx: Context, name: string, options: UpdateMirrorOptions = {}): Promise<UpdateMirrorResult> {
  const mirror = await requireMirror(ctx, name);
  const { config } = mirror;
  const progress = options.progress ?? silentProgress;
  const signal = options.signal;
  const hash = configHash(config);
  const client = options.client ?? new UpstreamClient({ concurrency: options.concurrency ?? 8 });
  try {
    progress({ type: 'phase', phase: 'release', message: `${name}: checking ${config.url} ${config.dist}` });
    const keyring = await loadKeyring(config.keyrings);
    const previous = mirror.sync?.configHash === hash && options.force !== true ? mirror.sync : undefined;
    const fetched = await fetchRelease({
      client,
      baseUrl: config.url,
      dist: config.dist,
      keyring,
      ...(options.now ? { now: options.now } : {}),
      ...(signal ? { signal } : {}),
      ...(previous
        ? {
            previous: {
              ...(previous.via ? { via: previous.via } : {}),
              ...(previous.etag ? { etag: previous.etag } : {}),
              ...(previous.lastModified ? { lastModified: previous.lastModified } : {}),
              ...(previous.validUntil ? { validUntil: new Date(previous.validUntil) } : {}),
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
        unresolved: [],
        warnings,
      };
    };
    if (fetched.notModified && previous) {
      progress({ type: 'phase', phase: 'release', message: `${name}: upstream unchanged (not modified)` });
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
    if (previous && previous.releaseSha256 === fetched.releaseSha256) {
      progress({ type: 'phase', phase: 'release', message: `${name}: upstream unchanged (same Release)` });
      return await unchanged({ ...sync, ...(previous.filterWarnings ? { filterWarnings: previous.filterWarnings } : {}) });
    }

    progress({ type: 'phase', phase: 'indexes', message: `${name}: reading indexes` });
    const fetch = async (path: string): Promise<AsyncIterable<Uint8Array>> =>
      (
        await fetchIndex(path, {
          client,
          baseUrl: config.url,
          dist: config.dist,
          release: fetched.release,
          cacheDir: ctx.indexCacheDir,
          ...(signal ? { signal } : {}),
        })
      ).text;
    const upstream = await readUpstreamPackages(config, fetched.release, fetch, progress, signal);
    const depsFrom = await depsFromIndexes(ctx, config);

    progress({ type: 'phase', phase: 'resolve', message: `${name}: selecting from ${plural(upstream.indexes.deb.size + upstream.indexes.udeb.size, 'package')}` });
    const chosen = selectBinaries(config, upstream, depsFrom);
    checkFilter(name, chosen.warnings, options.strictFilter === true, progress);
    const entries = chosen.selected.map((ip) => {
      const place = upstream.placement.get(ip);
      if (place === undefined) throw new Error(`resolver returned ${ip.name} from outside the mirror`);
      return binaryEntry(ip.paragraph, place.component, place.kind);
    });
    const unresolved = [...chosen.unresolved];
    if (config.withSources) {
      const src = await selectSources(config, fetched.release, entries, fetch, progress, signal);
      entries.push(...src.sources);
      unresolved.push(...src.unresolved);
    }
    if (options.strictDeps && unresolved.length > 0) {
      throw new DebstashError(
        'DEBSTASH_E_UNRESOLVED_DEPENDENCIES',
        `mirror "${name}": ${unresolved.length} dependencies cannot be satisfied, e.g. ${unresolved[0]?.package}: ${unresolved[0]?.dependency}`,
        { mirror: name, count: unresolved.length },
      );
    }
    for (const u of unresolved) progress({ type: 'warning', message: `${name}: unresolved dependency of ${u.package}: ${u.dependency}` });

    const current = await ctx.store.mirrorPackages(name);
    const currentKeys = new Set(current.map(packageKey));
    const nextKeys = new Set(entries.map(packageKey));
    const added = entries.filter((e) => !currentKeys.has(packageKey(e))).map(change);
    const removed = current.filter((e) => !nextKeys.has(packageKey(e))).map(change);
    const missing = await missingFiles(ctx, entries);
    const bytesTotal = missing.reduce((n, f) => n + f.size, 0);
    const result = (dryRun: boolean): UpdateMirrorResult => ({
      mirror: name,
      upToDate: false,
      dryRun,
      packages: entries.length,
      added,
      removed,
      downloadFiles: missing.length,
      downloadBytes: bytesTotal,
      unresolved,
      warnings: chosen.warnings,
    });
    if (options.dryRun) return result(true);

    progress({ type: 'phase', phase: 'download', message: `${name}: downloading ${plural(missing.length, 'file')} (${formatBytes(bytesTotal)})` });
    let done = 0;
    let bytesDone = 0;
    const report = (): void => progress({ type: 'progress', phase: 'download', done, total: missing.length, bytesDone, bytesTotal });
    report();
    await forEachConcurrent(
      missing,
      options.concurrency ?? 8,
      async (file, fileSignal) => {
        await client.download(`${config.url}/${file.path}`, ctx.pool, { sha256: file.sha256, size: file.size }, { signal: fileSignal });
        done++;
        bytesDone += file.size;
        report();
      },
      signal,
    );

    progress({ type: 'phase', phase: 'commit', message: `${name}: committing ${plural(entries.length, 'package')}` });
    signal?.throwIfAborted();
    await ctx.store.transaction((tx) => tx.replaceMirrorContents(name, { packages: entries, unresolved, sync: chosen.warnings.length > 0 ? { ...sync, filterWarnings: chosen.warnings } : sync, updatedAt: new Date().toISOString() }));
    return result(false);
  } catch (err) {
    if (signal?.aborted && !(err instanceof DebstashError && err.code === 'DEBSTASH_E_CANCELLED')) {
      throw new DebstashError('DEBSTASH_E_CANCELLED', `update of mirror "${name}" cancelled`, { mirror: name }, { cause: err });
    }
    throw err;
  } finally {
    if (options.client === undefined) await client.close();
  }
}
