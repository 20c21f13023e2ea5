import { availableParallelism } from 'node:os';
import { readFile, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { splitClearsigned } from '../deb/clearsigned.js';
import { DebstashError } from '../errors/debstash-error.js';
import type { Pool } from '../pool/pool.js';
import type { PackageEntry } from '../store/records.js';
import type { Store } from '../store/store.js';
import { DEFAULT_CHUNKING, type ChunkingOptions } from './chunking.js';
import { digestOf } from './file-digest.js';
import { makeContentsFile, type ContentsFile } from './contents-file.js';
import type { ContentsSource } from './contents-cache.js';
import { ChunkStore, codecId, makeIndexFiles, type IndexFiles, type TreeFile } from './index-files.js';
import { forEachConcurrent } from '../concurrency/for-each-concurrent.js';
import { lockPublisher } from './publish-lock.js';
import { checkArchitecture, checkComponent, checkDist, checkPrefix, checkReleaseValue } from './publish-names.js';
import { publishError, throwIfCancelled } from './publish-error.js';
import { statMany } from '../pool/stat-many.js';
import { binaryIndexPath, planPublish } from './publish-plan.js';
import { byHashPaths } from './by-hash-paths.js';
import { readPreviousIndexes } from './previous-index.js';
import { readPoolListing, readState, reconcile, removeUnusedListings, sha256Hex, stateDirOf, writePoolListing, writeState, type Generation } from './publish-state.js';
import { indexReleaseText, releaseText, type FileDigest, type ReleaseMeta } from './release-text.js';
import { collectGarbage, type GarbageReport } from './retention.js';
import { removeUnusedReleaseCopies, writeReleaseCopies } from './generation-releases.js';
import { signRelease } from './sign-release.js';
import { normalizePublicUrl, snapshotsTemplate } from './snapshots-template.js';
import type { Signer } from './signer.js';
import { isErrno, pruneEmptyDirs, removeFile, TreeFiles } from './tree-files.js';

export interface PublishTreeOptions {
  /** Where published trees live (the data dir's `public/`). */
  readonly root: string;
  /** '' for the root, or e.g. 'debian', 'ubuntu/edge'. */
  readonly prefix: string;
  readonly dist: string;
  /** Components in Release order, each with its packages (their `component` field is not used). */
  readonly components: readonly { readonly name: string; readonly packages: readonly PackageEntry[] }[];
  /** Binary architectures; `all` packages go into each. `all` itself adds no index. */
  readonly architectures: readonly string[];
  /** Suite and Codename default to the distribution name. */
  readonly meta: { readonly origin?: string; readonly label?: string; readonly suite?: string; readonly codename?: string; readonly description?: string };
  readonly signer: Signer;
  /** The content-addressed pool the published pool/ is a view of. */
  readonly pool: Pool;
  /** Where that view lives (Store.putPoolView): the server answers pool/ paths from it. */
  readonly store: Store;
  /**
   * The files that may be absent from the pool because the server fetches them at a client's
   * first request (on-demand mirrors); asked only once a file is found missing, and from then
   * on those files are not looked for in the pool.
   */
  readonly deferred?: () => Promise<ReadonlySet<string>>;
  /** The Release Date (default: now; never earlier than the previous generation's). */
  readonly now?: Date;
  /** Add an MD5Sum section (apt ignores it; some old tools want it). */
  readonly md5?: boolean;
  /**
   * Write `COMPONENT/Contents-ARCH.gz` for every binary index, with the paths each package
   * installs taken from here (see ContentsCache).
   */
  readonly contents?: ContentsSource;
  /**
   * Generations whose indexes stay under by-hash/ (and whose pool files and signed Release
   * files stay): also how far back `/snapshots/ID/` reaches; default 3.
   */
  readonly keepGenerations?: number;
  /**
   * The server's public URL: Release then carries `Snapshots: URL/snapshots/@SNAPSHOTID@/PREFIX`
   * (apt's time travel). Without it there is no Snapshots field (a signed Release cannot name
   * the host a client used).
   */
  readonly publicUrl?: string;
  /** gzip level of Packages.gz / Sources.gz, 1..9; default 9. */
  readonly gzipLevel?: number;
  /** xz preset of Packages.xz / Sources.xz, 0..9; default 3 (see docs/publish.md). */
  readonly xzPreset?: number;
  /** How indexes are cut into chunks (for tests and tuning; see chunking.ts). */
  readonly chunking?: ChunkingOptions;
  /** xz processes (and gzip members) compressing chunks at once; default: one per core. */
  readonly concurrency?: number;
  /** How long to wait for another process publishing to the same prefix; default 30 s. */
  readonly lockWaitMs?: number;
  readonly signal?: AbortSignal;
  /**
   * Called as the publish passes each step (for progress, and for tests that stop a publish
   * there); the publish waits for it. See PublishStep.
   */
  readonly onStep?: (step: PublishStep) => void | Promise<void>;
}

/**
 * The steps of a publish, in order. `placing` (only when new pool paths are added, while
 * indexes are built) has the pending generation naming them in the state, before they go into
 * the pool view. Until `written` nothing clients see has changed; at
 * `switched` InRelease (what apt reads) is the new one; `released` has Release replaced too
 * (Release.gpg follows); `committed` has all three and the state; `linked` has the plainly
 * named indexes; `cleaned` has removed what no kept generation needs.
 */
export type PublishStep = 'placing' | 'built' | 'signed' | 'written' | 'switched' | 'released' | 'committed' | 'linked' | 'cleaned';

export interface PublishedIndex {
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
  readonly chunks: number;
  readonly reusedChunks: number;
  readonly compressedChunks: number;
  readonly unchanged: boolean;
}

export interface PublishTreeResult {
  /** SHA-256 of the Release now served (InRelease signs the same text). */
  readonly releaseSha256: string;
  /** The generation number of what is served now. */
  readonly generation: number;
  readonly date: Date;
  /** Nothing changed since the previous publish: nothing was written or signed. */
  readonly unchanged: boolean;
  /** Files the Release lists. */
  readonly files: number;
  readonly packages: number;
  /** Packages whose paragraph was rendered from their stanza; the others' were taken from the previous generation's indexes. */
  readonly rendered: number;
  /** Binary packages of architectures not published, left out. */
  readonly skipped: number;
  readonly indexes: readonly PublishedIndex[];
  /** The Contents indexes written (none without the `contents` option). */
  readonly contents: readonly { readonly path: string; readonly sha256: string; readonly size: number; readonly unchanged: boolean }[];
  /** Paths of the pool view added or given another file, and paths that already had theirs. */
  readonly pool: { readonly placed: number; readonly kept: number };
  readonly garbage: GarbageReport;
  /** The Release's `Snapshots:` template; undefined without a public URL. */
  readonly snapshots: string | undefined;
  readonly timings: Readonly<Record<'planMs' | 'buildMs' | 'signMs' | 'writeMs' | 'commitMs' | 'cleanupMs' | 'totalMs', number>>;
}

function checkOptions(o: PublishTreeOptions): { meta: ReleaseMeta; keep: number; snapshots: string | undefined } {
  checkPrefix(o.prefix);
  checkDist(o.dist);
  const seen = new Set<string>();
  for (const c of o.components) {
    checkComponent(c.name);
    if (seen.has(c.name)) throw publishError('name', `component ${JSON.stringify(c.name)} is given twice`, { component: c.name });
    seen.add(c.name);
  }
  if (o.components.length === 0) throw publishError('name', 'a publish needs at least one component', {});
  for (const a of o.architectures) checkArchitecture(a);
  const keep = o.keepGenerations ?? 3;
  if (!Number.isInteger(keep) || keep < 1 || keep > 100) throw publishError('name', `keepGenerations must be an integer from 1 to 100, not ${keep}`, {});
  const word = (field: string, v: string): string => {
    checkReleaseValue(field, v);
    if (/\s/.test(v)) throw publishError('name', `${field} ${JSON.stringify(v)} contains a blank`, { field });
    return v;
  };
  const m = o.meta;
  return {
    keep,
    snapshots: o.publicUrl === undefined ? undefined : snapshotsTemplate(normalizePublicUrl(o.publicUrl, 'publicUrl'), o.prefix),
    meta: {
      ...(m.origin !== undefined ? { origin: checkReleaseValue('Origin', m.origin) } : {}),
      ...(m.label !== undefined ? { label: checkReleaseValue('Label', m.label) } : {}),
      suite: word('Suite', m.suite ?? o.dist),
      codename: word('Codename', m.codename ?? o.dist),
      ...(m.description !== undefined ? { description: checkReleaseValue('Description', m.description) } : {}),
    },
  };
}

/**
 * Publishes a signed APT repository at `root/PREFIX/`: `dists/DIST/` (Packages/Sources in
 * plain, .gz and .xz, per-index Release files, Release, InRelease, Release.gpg), every index
 * also under `by-hash/`, and `pool/` as a view of the content-addressed pool kept in the store
 * (path → SHA-256; nothing per package on disk).
 *
 * Clients never see a half-made publish: new pool paths and by-hash entries are added first
 * (each atomically), then InRelease, Release and Release.gpg are replaced by rename, then the
 * plainly named indexes; by-hash files and pool files of generations older than the last
 * `keepGenerations` are removed only after that. A crash at any point leaves a whole
 * generation served (the previous one until InRelease is replaced); the next publish cleans
 * up. Publishes to one prefix run one at a time (a lock in `PREFIX/.debstash/`). See
 * docs/publish.md.
 */
/** Pool files looked up before a publish knows whether some are missing (and asks which are deferred). */
const FIRST_STAT_SLICE = 256;

export async function publishTree(options: PublishTreeOptions): Promise<PublishTreeResult> {
  const t0 = performance.now();
  const { meta, keep, snapshots } = checkOptions(options);
  const root = resolve(options.root);
  const prefixDir = join(root, options.prefix);
  const distDir = join(prefixDir, 'dists', options.dist);
  // Planned before the lock, so that a refused publish writes nothing. The previous indexes it
  // takes unchanged paragraphs from are read unlocked, which is safe: each file is checked
  // against its hash, and a paragraph this publisher wrote for a package is right in any
  // generation (see previous-index.ts).
  const binaryIndexes = options.components.flatMap((c) =>
    options.architectures.filter((a) => a !== 'all').flatMap((a) => (['deb', 'udeb'] as const).map((kind) => binaryIndexPath(kind, c.name, a))),
  );
  const latest = (await readState(distDir)).state.generations.at(-1);
  const plan = planPublish(options.components, options.architectures, await readPreviousIndexes(distDir, latest, binaryIndexes));
  if (plan.indexes.length === 0) throw publishError('name', 'a publish needs at least one architecture other than "all" (or source packages)', {});
  const { signal } = options;
  throwIfCancelled(signal, 'publish');
  const tPlan = performance.now();
  const release = await lockPublisher(join(prefixDir, '.debstash'), { waitMs: options.lockWaitMs, signal });
  const files = new TreeFiles(join(prefixDir, '.debstash', 'tmp'));
  const created: string[] = [];
  /** Pool paths this publish added to the view: what a failure takes back. */
  const createdView: string[] = [];
  let stateTouched = false;
  let committed = false;
  let generations: Generation[] = [];
  let garbageSoFar: Generation[] = [];
  try {
    await files.reset();
    const { state } = await readState(distDir);
    const reconciled = reconcile(state, await servedRelease(distDir));
    generations = reconciled.generations;
    const { garbage } = reconciled;
    garbageSoFar = garbage;
    const previous = generations.at(-1);
    const nextId = Math.max(0, ...generations.map((g) => g.id), ...garbage.map((g) => g.id)) + 1;
    const codecOptions = { gzipLevel: options.gzipLevel, xzPreset: options.xzPreset };
    const chunking = options.chunking ?? DEFAULT_CHUNKING;
    const codec = codecId({ ...codecOptions, chunking });

    // 1. Pool paths (a few stats and one store transaction) and indexes (compression, CPU
    //    bound on the thread pool) at the same time. Before any pool path is added, the
    //    pending generation names them, so that after a crash the next publish knows what to
    //    take back. Only paths the previous generation did not have are written: a republish
    //    after one package was added adds one row.
    const poolStats = { placed: 0, kept: 0 };
    const placeFiles = async (): Promise<string> => {
      // A generation from before the view had its pool as a tree on disk: every path is new.
      const before = previous?.pool == null || previous.view !== true ? undefined : await readPoolListing(distDir, previous.pool);
      const wanted = [...plan.pool.values()].filter((p) => before?.get(p.path)?.sha256 !== p.sha256);
      poolStats.kept += plan.pool.size - wanted.length;
      stateTouched = true;
      const listing = await writePoolListing(distDir, plan.pool, files);
      if (wanted.length === 0) return listing;
      // A path served must lead to a file: one missing from the pool fails the publish here
      // rather than every client that asks for it. Files of on-demand mirrors are not looked
      // for once one was missing: the server fetches them at the first request, verified
      // against their signed size and SHA-256, and a whole archive's 60,000 failed stats took
      // 7 s of CPU. statMany: with S3 a listing of a pool/ab/ prefix answers many files at once.
      let deferred: ReadonlySet<string> | undefined;
      const deferredFiles = async (): Promise<ReadonlySet<string>> => (deferred ??= options.deferred !== undefined ? await options.deferred() : new Set<string>());
      throwIfCancelled(signal, 'publish');
      const first = wanted.slice(0, FIRST_STAT_SLICE);
      const stored = await statMany(options.pool, first.map((p) => p.sha256));
      if (first.some((p) => !stored.has(p.sha256))) await deferredFiles();
      const rest = wanted.slice(FIRST_STAT_SLICE).filter((p) => deferred?.has(p.sha256) !== true);
      for (const [sha256, entry] of await statMany(options.pool, rest.map((p) => p.sha256))) stored.set(sha256, entry);
      throwIfCancelled(signal, 'publish');
      for (const p of wanted) {
        const entry = stored.get(p.sha256);
        if (entry === undefined && (await deferredFiles()).has(p.sha256)) continue;
        if (entry === undefined) throw new DebstashError('DEBSTASH_E_POOL_NOT_FOUND', `no file ${p.sha256} in the pool (wanted for ${p.path})`, { sha256: p.sha256 });
        if (entry.size !== p.size) throw new DebstashError('DEBSTASH_E_POOL_HASH_MISMATCH', `pool file ${p.sha256} has ${entry.size} bytes, not ${p.size}`, { sha256: p.sha256, size: p.size });
      }
      const stub: Generation = { id: nextId, date: '', releaseSha256: '', files: {}, codec, chunks: {}, pool: listing, view: true };
      await writeState(distDir, { version: 1, generations, pending: stub, garbage }, files);
      await options.onStep?.('placing');
      throwIfCancelled(signal, 'publish');
      const change = await options.store.transaction((tx) => tx.putPoolView(options.prefix, wanted));
      createdView.push(...change.added);
      poolStats.placed += change.added.length + change.replaced;
      poolStats.kept += change.present;
      return listing;
    };
    const store = new ChunkStore(distDir, generations, codec, codecOptions, options.concurrency ?? availableParallelism());
    const { contents } = options;
    const makeContents = async (): Promise<ContentsFile[]> =>
      contents === undefined
        ? []
        : Promise.all(plan.indexes.filter((i) => i.kind === 'packages').map((i) => makeContentsFile(i, contents, generations, { md5: options.md5 === true, gzipLevel: options.gzipLevel })));
    const [placed, made, listed] = await Promise.allSettled([
      placeFiles(),
      Promise.all(plan.indexes.map((index) => makeIndexFiles(index, generations, codec, store, chunking, options.md5 === true))),
      makeContents(),
    ]);
    if (placed.status === 'rejected') throw placed.reason;
    if (made.status === 'rejected') throw made.reason;
    if (listed.status === 'rejected') throw listed.reason;
    const poolListing = placed.value;
    const indexFiles: IndexFiles[] = made.value;
    const contentsFiles = listed.value;
    const treeFiles: TreeFile[] = contentsFiles.map((c) => c.file);
    for (const f of indexFiles) {
      treeFiles.push(f.plain, f.gz, f.xz);
      if (f.index.kind !== 'installer') {
        const path = `${f.index.dir}/Release`;
        const text = indexReleaseText(meta, f.index.component, f.index.architecture);
        const digest = digestOf(text, options.md5 === true);
        const same = generations.some((g) => g.codec !== '' && g.files[path]?.sha256 === digest.sha256);
        treeFiles.push({ path, digest, data: same ? undefined : [Buffer.from(text, 'utf8')] });
      }
    }
    const digests = new Map<string, FileDigest>(treeFiles.map((f) => [f.path, f.digest]));
    throwIfCancelled(signal, 'publish');
    const tIndex = performance.now();
    await options.onStep?.('built');

    // 2. Release: unchanged content keeps the previous Release (and its Date) as it is.
    const releaseFor = (date: Date): string =>
      releaseText({ meta, date, architectures: plan.architectures, components: plan.components, files: digests, md5: options.md5 === true, ...(snapshots !== undefined ? { snapshots } : {}) });
    const previousDate = previous === undefined ? undefined : new Date(previous.date);
    const unchanged = previous !== undefined && previousDate !== undefined && sha256Hex(releaseFor(previousDate)) === previous.releaseSha256;
    const now = new Date(Math.floor((options.now ?? new Date()).getTime() / 1000) * 1000);
    const date = unchanged ? (previousDate as Date) : previousDate !== undefined && previousDate > now ? previousDate : now;
    const releaseTextNow = releaseFor(date);
    const releaseSha256 = sha256Hex(releaseTextNow);
    const signed = unchanged ? undefined : await signRelease(options.signer, releaseTextNow, options.now ?? new Date());
    throwIfCancelled(signal, 'publish');
    const tSign = performance.now();
    await options.onStep?.('signed');

    // 3. The by-hash files of the new generation, written beside what is served.
    let current: Generation;
    if (unchanged) {
      current = previous as Generation;
    } else {
      current = {
        id: nextId,
        date: date.toISOString(),
        releaseSha256,
        files: Object.fromEntries(digests),
        codec,
        chunks: Object.fromEntries(indexFiles.map((f) => [f.index.path, f.chunks])),
        pool: poolListing,
        view: true,
        ...(contentsFiles.length > 0 ? { contents: Object.fromEntries(contentsFiles.map((c) => [c.file.path, c.textSha256])) } : {}),
      };
      await writeState(distDir, { version: 1, generations, pending: current, garbage }, files);
      // by-hash files of generations this publisher wrote are there (a foreign tree's may not be).
      const listed = new Set(generations.filter((g) => g.codec !== '').flatMap((g) => Object.entries(g.files).map(([path, f]) => `${path}\0${f.sha256}`)));
      await forEachConcurrent(treeFiles, 8, async (f) => {
        if (listed.has(`${f.path}\0${f.digest.sha256}`)) return;
        if (f.data === undefined) throw new Error(`internal: no bytes for ${f.path}`);
        const dest = byHashPaths(distDir, f.path, f.digest);
        const existed = await Promise.all([dest.sha256, dest.sha512].map((p) => stat(p).then(() => true, () => false)));
        await files.write(dest.sha256, f.data, true);
        if (!existed[0]) created.push(dest.sha256);
        await files.linkOver(dest.sha256, dest.sha512);
        if (!existed[1]) created.push(dest.sha512);
      });
      // What /snapshots/ID/ serves for this generation once it is no longer the current one.
      if (signed !== undefined) created.push(...(await writeReleaseCopies(distDir, releaseSha256, signed, releaseTextNow, files)));
      throwIfCancelled(signal, 'publish');
    }
    const tWrite = performance.now();

    // 4. The switch: InRelease (what apt reads, so the commit point), then Release and
    //    Release.gpg (read only by clients that find no InRelease), each by one rename.
    if (signed !== undefined) {
      await options.onStep?.('written');
      throwIfCancelled(signal, 'publish');
      await files.write(join(distDir, 'InRelease'), signed.inRelease, true);
      committed = true;
      await options.onStep?.('switched');
      await files.write(join(distDir, 'Release'), releaseTextNow, true);
      await options.onStep?.('released');
      await files.write(join(distDir, 'Release.gpg'), signed.releaseGpg, true);
    }
    committed = true;
    const all = unchanged ? generations : [...generations, current];
    const kept = all.slice(-keep);
    const dropped = [...garbage, ...all.slice(0, -keep)];
    await writeState(distDir, { version: 1, generations: kept, pending: null, garbage: dropped }, files);
    const tCommit = performance.now();
    await options.onStep?.('committed');

    // 5. Plainly named indexes (for clients that do not use by-hash), then what nothing needs.
    await forEachConcurrent(treeFiles, 8, async (f) => {
      const plain = join(distDir, f.path);
      const hashed = byHashPaths(distDir, f.path, f.digest).sha256;
      if (f.data === undefined) {
        const [a, b] = await Promise.all([stat(plain).catch(() => undefined), stat(hashed).catch(() => undefined)]);
        if (a !== undefined && b !== undefined && a.ino === b.ino && a.dev === b.dev) return;
        if (b === undefined) return;
      }
      await files.linkOver(hashed, plain);
    });
    await options.onStep?.('linked');
    const removed = await collectGarbage({ store: options.store, prefix: options.prefix, prefixDir, distDir, dist: options.dist, kept, dropped });
    if (dropped.length > 0) await writeState(distDir, { version: 1, generations: kept, pending: null, garbage: [] }, files);
    await removeUnusedListings(distDir, new Set(kept.flatMap((g) => (g.pool === null ? [] : [g.pool]))));
    await removeUnusedReleaseCopies(distDir, new Set(kept.map((g) => g.releaseSha256)));
    const tEnd = performance.now();
    await options.onStep?.('cleaned');

    return {
      releaseSha256,
      generation: current.id,
      date,
      unchanged,
      files: digests.size,
      packages: plan.packages,
      rendered: plan.rendered,
      skipped: plan.skipped,
      indexes: indexFiles.map((f) => ({
        path: f.index.path,
        sha256: f.plain.digest.sha256,
        size: f.plain.digest.size,
        chunks: f.chunks.length,
        reusedChunks: f.reusedChunks,
        compressedChunks: f.compressedChunks,
        unchanged: f.unchanged,
      })),
      contents: contentsFiles.map((c) => ({ path: c.file.path, sha256: c.file.digest.sha256, size: c.file.digest.size, unchanged: c.unchanged })),
      pool: poolStats,
      garbage: removed,
      snapshots,
      timings: {
        planMs: tPlan - t0,
        buildMs: tIndex - tPlan,
        signMs: tSign - tIndex,
        writeMs: tWrite - tSign,
        commitMs: tCommit - tWrite,
        cleanupMs: tEnd - tCommit,
        totalMs: tEnd - t0,
      },
    };
  } catch (err) {
    if (!committed) {
      await rollBack(prefixDir, distDir, created, stateTouched ? generations : undefined, garbageSoFar, files).catch(() => undefined);
      if (createdView.length > 0) await options.store.transaction((tx) => tx.removePoolView(options.prefix, createdView)).catch(() => undefined);
    }
    throw err;
  } finally {
    await rm(join(prefixDir, '.debstash', 'tmp'), { recursive: true, force: true }).catch(() => undefined);
    await release();
    await pruneEmptyDirs(join(prefixDir, '.debstash'), root);
  }
}

/**
 * The Release text served now: what InRelease signs (apt reads InRelease), else the Release
 * file; undefined when neither is there.
 */
async function servedRelease(distDir: string): Promise<string | undefined> {
  const read = (name: string): Promise<Buffer | undefined> =>
    readFile(join(distDir, name)).catch((err: unknown) => (isErrno(err, 'ENOENT') ? undefined : Promise.reject(err)));
  const inRelease = await read('InRelease');
  if (inRelease !== undefined) {
    try {
      return `${Buffer.from(splitClearsigned(inRelease).signed).toString('utf8')}\n`;
    } catch {
      // not clearsigned: judged by Release
    }
  }
  return (await read('Release'))?.toString('utf8');
}

/**
 * Takes back what a publish that failed before its Release was served added on disk: the
 * by-hash files it created (with the directories left empty) and its pending generation (the
 * caller takes back its pool paths). A distribution that had no publish before is left with nothing at all.
 */
async function rollBack(
  prefixDir: string,
  distDir: string,
  created: readonly string[],
  generations: readonly Generation[] | undefined,
  garbage: readonly Generation[],
  files: TreeFiles,
): Promise<void> {
  for (const path of created) {
    await removeFile(path).catch(() => undefined);
    await pruneEmptyDirs(dirname(path), prefixDir);
  }
  if (generations === undefined) return;
  if (generations.length === 0 && garbage.length === 0) {
    await rm(stateDirOf(distDir), { recursive: true, force: true });
    await pruneEmptyDirs(distDir, prefixDir);
  } else {
    await writeState(distDir, { version: 1, generations, pending: null, garbage }, files);
    await removeUnusedListings(distDir, new Set([...generations, ...garbage].flatMap((g) => (g.pool === null ? [] : [g.pool]))));
  }
}
