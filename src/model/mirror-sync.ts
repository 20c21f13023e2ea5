/**
 * The part of `mirror update` that runs only when the upstream changed: read the indexes,
 * select, download, commit. mirror-update.ts loads it on demand, so a no-op update never loads
 * the parsers, the filter language, the resolver or the codecs.
 */
import { parseDeb822Parallel } from '../workers/parse-deb822-parallel.js';
import type { ReleaseFile } from '../deb/release.js';
import { sourceOf } from '../deb/source-of.js';
import { compareVersions } from '../deb/version.js';
import { DebstashError } from '../errors/debstash-error.js';
import { queryTargetFromParagraph, type TalliedFilter, tallyFilter } from '../query/index.js';
import { type IndexedPackage, PackageIndex } from '../resolve/package-index.js';
import { resolveClosure } from '../resolve/resolve-closure.js';
import type { FilterWarning, MirrorRecord, MirrorSyncState, PackageEntry, PackageFile, UnresolvedDependency } from '../store/records.js';
import { packageKey } from '../store/records.js';
import type { MirrorConfig } from '../store/records.js';
import { fetchIndex } from '../upstream/fetch-index.js';
import type { UpstreamClient } from '../upstream/http-client.js';
import { WorkQueue } from '../concurrency/work-queue.js';
import { checkFilter } from './check-filter.js';
import type { Context } from './context.js';
import { filterWarnings } from './filter-warnings.js';
import type { PackageChange, UpdateMirrorOptions, UpdateMirrorResult } from './mirror-update.js';
import { binaryEntry, sourceEntry } from './package-entry.js';
import { paragraphOf } from './package-match.js';
import { type ProgressSink, silentProgress } from './progress.js';
import { formatBytes, plural } from './human-units.js';
import type { Paragraph } from '../deb/paragraph.js';
import { limitExceeded, type UpstreamLimits } from '../upstream/upstream-limits.js';

type BinaryKind = 'deb' | 'udeb';

/** Downloads at once: `initial` at the start, never more than `max` (see WorkQueue). */
export interface DownloadLimits {
  readonly initial: number;
  readonly max: number;
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
  /** The packages the filter matched, found while the indexes were read. */
  readonly matched: ReadonlySet<IndexedPackage>;
}

/**
 * The stanzas of one index, within the limits: a stanza larger than `stanzaBytes` or more than
 * `indexStanzas` of them end the update (DEBSTASH_E_UPSTREAM_LIMIT) before they fill memory.
 */
async function* limitedStanzas(text: AsyncIterable<Uint8Array>, path: string, limits: UpstreamLimits): AsyncGenerator<Paragraph, void, undefined> {
  let count = 0;
  try {
    for await (const p of parseDeb822Parallel(text, { source: path, maxParagraphBytes: limits.stanzaBytes })) {
      if (++count > limits.indexStanzas) throw limitExceeded('indexStanzas', limits, `${path}: the stanzas`, `more than ${limits.indexStanzas}`);
      yield p;
    }
  } catch (err) {
    if (err instanceof DebstashError && err.code === 'DEBSTASH_E_DEB822_TOO_LARGE') {
      throw limitExceeded('stanzaBytes', limits, `${path}: line ${String(err.details.line)}`, `a stanza of more than ${limits.stanzaBytes} bytes`);
    }
    throw err;
  }
}

/**
 * Reads the indexes, matching each package against `filter` as it is parsed: a match is a root,
 * selected whatever the closure adds, so `onMatch` may start its download at once.
 */
async function readUpstreamPackages(
  config: MirrorConfig,
  release: ReleaseFile,
  fetch: (path: string) => Promise<AsyncIterable<Uint8Array>>,
  limits: UpstreamLimits,
  progress: ProgressSink,
  filter: TalliedFilter | undefined,
  onMatch: (ip: IndexedPackage, component: string, kind: BinaryKind) => Promise<void>,
): Promise<UpstreamPackages> {
  const indexes = { deb: new PackageIndex(), udeb: new PackageIndex() };
  const placement = new Map<IndexedPackage, { component: string; kind: BinaryKind }>();
  const matched = new Set<IndexedPackage>();
  // One of each package, version and architecture per kind: Architecture: all packages are
  // listed in every binary-ARCH index, and an index that repeats a stanza (a hostile one, by
  // the million) must not store it twice.
  const seen = { deb: new Set<string>(), udeb: new Set<string>() };
  const read = async (path: string, component: string, kind: BinaryKind): Promise<void> => {
    for await (const p of limitedStanzas(await fetch(path), path, limits)) {
      const key = `${p.get('Package')} ${p.get('Version')} ${p.get('Architecture')}`;
      if (seen[kind].has(key)) continue;
      seen[kind].add(key);
      const ip = indexes[kind].add(p);
      placement.set(ip, { component, kind });
      if (filter === undefined || filter.matches(queryTargetFromParagraph(p, kind))) {
        matched.add(ip);
        await onMatch(ip, component, kind);
      }
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
  return { indexes, placement, matched };
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

/** Whether `ip` is a newer version of a package (same name and architecture) one of `lent` holds. */
function updatesOneOf(ip: IndexedPackage, lent: readonly PackageIndex[]): boolean {
  return lent.some((index) => index.byName(ip.name).some((held) => held.architecture === ip.architecture && compareVersions(ip.version, held.version) > 0));
}

function selectBinaries(
  config: MirrorConfig,
  upstream: UpstreamPackages,
  filter: TalliedFilter | undefined,
  depsFrom: Readonly<Record<BinaryKind, readonly PackageIndex[]>>,
): { selected: readonly IndexedPackage[]; unresolved: UnresolvedDependency[]; warnings: FilterWarning[] } {
  // In index order, as when the filter ran over the finished indexes: the same roots, the same answer.
  const all = [...upstream.indexes.deb.packages(), ...upstream.indexes.udeb.packages()];
  if (filter === undefined) return { selected: all, unresolved: [], warnings: [] };
  const roots = all.filter((ip) => upstream.matched.has(ip) || (config.updateDepsFrom === true && updatesOneOf(ip, depsFrom[upstream.placement.get(ip)?.kind ?? 'deb'])));
  // An update suite carries only what changed since the base: most terms match nothing there,
  // and saying so (or failing strict_filter) would be noise about the normal case.
  const warnings = config.updateDepsFrom === true ? [] : filterWarnings(filter.unmatched(), config, [upstream.indexes.deb, upstream.indexes.udeb]);
  if (!config.withDeps) return { selected: roots, unresolved: [], warnings };
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
  return { selected, unresolved, warnings };
}

async function selectSources(
  config: MirrorConfig,
  release: ReleaseFile,
  binaries: readonly PackageEntry[],
  fetch: (path: string) => Promise<AsyncIterable<Uint8Array>>,
  limits: UpstreamLimits,
  progress: ProgressSink,
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
    for await (const p of limitedStanzas(await fetch(path), path, limits)) {
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

/**
 * The files the new contents need that the pool lacks, each counted once; unless `queue` is
 * undefined (a dry run, or a mirror whose files are fetched on demand), each is downloaded as
 * soon as it is wanted. With `deferred`, every file is counted as left for on-demand fetching,
 * without asking the pool: a whole archive is 60,000 files.
 */
class Downloads {
  files = 0;
  bytes = 0;
  deferredFiles = 0;
  deferredBytes = 0;
  #done = 0;
  #bytesDone = 0;
  readonly #wanted = new Set<string>();

  constructor(
    private readonly ctx: Context,
    private readonly progress: ProgressSink,
    readonly queue: WorkQueue<PackageFile> | undefined,
    private readonly deferred = false,
  ) {}

  static start(ctx: Context, client: UpstreamClient, baseUrl: string, progress: ProgressSink, limits: DownloadLimits, signal: AbortSignal | undefined): Downloads {
    const queue = new WorkQueue<PackageFile>(
      async (file, signal) => {
        await client.download(`${baseUrl}/${file.path}`, ctx.pool, { sha256: file.sha256, size: file.size }, { signal });
        downloads.#done++;
        downloads.#bytesDone += file.size;
        downloads.report();
        return file.size;
      },
      { ...limits, ...(signal ? { signal } : {}) },
    );
    const downloads = new Downloads(ctx, progress, queue);
    return downloads;
  }

  async want(entry: PackageEntry): Promise<void> {
    for (const f of entry.files) {
      if (this.#wanted.has(f.sha256)) continue;
      this.#wanted.add(f.sha256);
      if (this.deferred) {
        this.deferredFiles++;
        this.deferredBytes += f.size;
        continue;
      }
      if (await this.ctx.pool.has(f.sha256)) continue;
      this.files++;
      this.bytes += f.size;
      this.queue?.push(f);
    }
  }

  report(): void {
    this.progress({ type: 'progress', phase: 'download', done: this.#done, total: this.files, bytesDone: this.#bytesDone, bytesTotal: this.bytes });
  }
}

/**
 * Everything after a changed Release was verified: read the indexes (each checked against
 * `release`), select, download what the pool lacks, commit in one transaction. Downloads of
 * the filter's matches start while the indexes are still read, unless something may yet refuse
 * the update before any download (dry run, strict checks). Nothing is committed unless every
 * index verified, the selection stands and every file is in the pool; a failure or Ctrl-C
 * waits for the downloads in flight to stop, so none is left running.
 */
export async function syncMirror(
  ctx: Context,
  mirror: MirrorRecord,
  release: ReleaseFile,
  sync: MirrorSyncState,
  client: UpstreamClient,
  limits: DownloadLimits,
  options: UpdateMirrorOptions,
): Promise<UpdateMirrorResult> {
  const { name, config } = mirror;
  const progress = options.progress ?? silentProgress;
  const deferred = config.policy !== undefined;
  const downloads =
    options.dryRun === true || deferred ? new Downloads(ctx, progress, undefined, deferred) : Downloads.start(ctx, client, config.url, progress, limits, options.signal);
  const early = downloads.queue !== undefined && options.strictDeps !== true && options.strictFilter !== true;
  // Index reads stop when a download fails, not only on the caller's abort.
  const signal = downloads.queue?.signal ?? options.signal;
  try {
    progress({ type: 'phase', phase: 'indexes', message: `${name}: reading indexes` });
    const fetch = async (path: string): Promise<AsyncIterable<Uint8Array>> =>
      (
        await fetchIndex(path, {
          client,
          baseUrl: config.url,
          dist: config.dist,
          release,
          cacheDir: ctx.indexCacheDir,
          ...(signal ? { signal } : {}),
        })
      ).text;
    const filter = config.filter === undefined ? undefined : tallyFilter(config.filter);
    const upstream = await readUpstreamPackages(config, release, fetch, client.limits, progress, filter, async (ip, component, kind) => {
      if (early) await downloads.want(binaryEntry(ip.paragraph, component, kind));
    });
    const depsFrom = await depsFromIndexes(ctx, config);

    progress({ type: 'phase', phase: 'resolve', message: `${name}: selecting from ${plural(upstream.indexes.deb.size + upstream.indexes.udeb.size, 'package')}` });
    const chosen = selectBinaries(config, upstream, filter, depsFrom);
    checkFilter(name, chosen.warnings, options.strictFilter === true, progress);
    const entries = chosen.selected.map((ip) => {
      const place = upstream.placement.get(ip);
      if (place === undefined) throw new Error(`resolver returned ${ip.name} from outside the mirror`);
      return binaryEntry(ip.paragraph, place.component, place.kind);
    });
    const unresolved = [...chosen.unresolved];
    if (config.withSources) {
      const src = await selectSources(config, release, entries, fetch, client.limits, progress);
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
    for (const e of entries) await downloads.want(e);
    const result = (dryRun: boolean): UpdateMirrorResult => ({
      mirror: name,
      upToDate: false,
      dryRun,
      packages: entries.length,
      added,
      removed,
      downloadFiles: downloads.files,
      downloadBytes: downloads.bytes,
      deferredFiles: downloads.deferredFiles,
      deferredBytes: downloads.deferredBytes,
      unresolved,
      warnings: chosen.warnings,
    });
    if (options.dryRun === true) return result(true);

    if (downloads.queue !== undefined) {
      progress({ type: 'phase', phase: 'download', message: `${name}: downloading ${plural(downloads.files, 'file')} (${formatBytes(downloads.bytes)})` });
      downloads.report();
      await downloads.queue.finish();
    } else {
      progress({ type: 'phase', phase: 'download', message: `${name}: ${plural(downloads.deferredFiles, 'file')} (${formatBytes(downloads.deferredBytes)}) deferred: fetched from upstream at a client's first request (policy ${config.policy ?? 'immediate'})` });
    }

    progress({ type: 'phase', phase: 'commit', message: `${name}: committing ${plural(entries.length, 'package')}` });
    options.signal?.throwIfAborted();
    await ctx.store.transaction((tx) => tx.replaceMirrorContents(name, { packages: entries, unresolved, sync: chosen.warnings.length > 0 ? { ...sync, filterWarnings: chosen.warnings } : sync, updatedAt: new Date().toISOString() }));
    return result(false);
  } catch (err) {
    // Nothing may still be writing to the pool once the update has failed; and when a download
    // failed first, that failure, not the abort of the index read it caused, is the reason.
    const queue = downloads.queue;
    if (queue === undefined) throw err;
    const failed = queue.signal.aborted && options.signal?.aborted !== true ? queue.signal.reason : undefined;
    await queue.cancel(err);
    throw failed ?? err;
  }
}
