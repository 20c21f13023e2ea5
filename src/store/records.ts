/** What a mirror is: where it reads from and what it keeps. Stored as given; checked on create/edit. */
export interface MirrorConfig {
  readonly url: string;
  readonly dist: string;
  readonly components: readonly string[];
  readonly architectures: readonly string[];
  /** aptly-grammar filter; absent means every package. */
  readonly filter?: string;
  readonly withDeps: boolean;
  readonly withRecommends: boolean;
  readonly withSources: boolean;
  readonly withUdebs: boolean;
  /** Keyring files (binary or armored) the upstream's Release signature must verify against. */
  readonly keyrings: readonly string[];
  /** Other mirrors whose packages may satisfy this one's dependencies (e.g. security → main). */
  readonly depsFrom: readonly string[];
  /**
   * Also take this upstream's newer versions of packages the depsFrom mirrors hold, whatever
   * the filter says: an update suite's fix of a library the base took as a dependency. Absent
   * when false, so mirrors stored before it existed compare equal.
   */
  readonly updateDepsFrom?: boolean;
  /**
   * When package files enter the pool (docs/on-demand.md). Absent means `immediate`: the update
   * downloads them, so mirrors stored before policies existed compare equal.
   */
  readonly policy?: DeferredPolicy;
}

/**
 * `immediate`: `mirror update` downloads every selected file. The other two fetch a file when a
 * client first asks for it: `on-demand` files may be evicted again by `db cleanup
 * --on-demand-max-age/--on-demand-budget`, `cache-on-serve` files are kept.
 */
export type MirrorPolicy = 'immediate' | DeferredPolicy;
export type DeferredPolicy = 'on-demand' | 'cache-on-serve';

export type PackageKind = 'deb' | 'udeb' | 'source';

/** One file of a package, as its index names it; the pool holds it by SHA-256. */
export interface PackageFile {
  /** Path relative to the archive root: `Filename` for binaries, `Directory/name` for source files. */
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
}

/**
 * A package as an index describes it. Identity is (kind, name, version, architecture, first
 * file's SHA-256): two archives that ship the same version with different bytes stay apart.
 */
export interface PackageRecord {
  readonly kind: PackageKind;
  readonly name: string;
  readonly version: string;
  readonly architecture: string;
  /** The index paragraph as the upstream wrote it (serialized deb822). */
  readonly stanza: string;
  /** A binary has one file (the .deb); a source package its .dsc and tarballs. */
  readonly files: readonly PackageFile[];
}

/** Which package and version, without its bytes: two files of one slot conflict in a repo. */
export type PackageSlot = Pick<PackageRecord, 'kind' | 'name' | 'version' | 'architecture'>;

/** A package inside a mirror, repo or snapshot: the record plus where it sits. */
export interface PackageEntry extends PackageRecord {
  readonly component: string;
}

/** What the last successful update saw upstream, for the no-change fast path. */
export interface MirrorSyncState {
  readonly releaseSha256: string;
  /** Which file the Release came from, so a conditional GET asks the same one again. */
  readonly via?: 'InRelease' | 'Release';
  readonly etag?: string;
  readonly lastModified?: string;
  /** Release's own Date and Valid-Until (ISO): an unchanged but expired Release is refused. */
  readonly date?: string;
  readonly validUntil?: string;
  /** Hash of the mirror config the contents were selected with: an edit forces re-selection. */
  readonly configHash?: string;
  /** What the selection found wrong with the filter; kept so an unchanged update still reports it. */
  readonly filterWarnings?: readonly FilterWarning[];
}

/**
 * A top-level term of a mirror's filter that matched no package of the upstream (docs/query.md).
 * `code` is the error it becomes under --strict-filter / strict_filter.
 */
export interface FilterWarning {
  readonly code: 'DEBSTASH_E_FILTER_UNMATCHED';
  readonly message: string;
  /** The term as written in the filter. */
  readonly term: string;
  /** A field the term reads that no package of the index has, and the known field it is close to. */
  readonly unknownField?: string;
  readonly didYouMean?: string;
}

export interface UnresolvedDependency {
  readonly package: string;
  readonly dependency: string;
}

export interface MirrorRecord {
  readonly name: string;
  readonly config: MirrorConfig;
  readonly createdAt: string;
  /** When the last update committed; absent before the first. */
  readonly updatedAt?: string;
  readonly sync?: MirrorSyncState;
  readonly packageCount: number;
}

/** What one committed mirror update replaces, all at once. */
export interface MirrorContents {
  readonly packages: readonly PackageEntry[];
  readonly unresolved: readonly UnresolvedDependency[];
  readonly sync: MirrorSyncState;
  readonly updatedAt: string;
}

export interface RepoRecord {
  readonly name: string;
  readonly comment: string;
  readonly createdAt: string;
  readonly packageCount: number;
}

/** Where a snapshot's packages came from, for `snapshot show`. */
export interface SnapshotOrigin {
  readonly kind: 'mirror' | 'repo' | 'snapshot';
  readonly name: string;
}

export interface SnapshotRecord {
  readonly name: string;
  readonly description: string;
  readonly createdAt: string;
  readonly origins: readonly SnapshotOrigin[];
  readonly packageCount: number;
}

export interface PublishMeta {
  readonly origin: string;
  readonly label: string;
  readonly suite: string;
  readonly codename: string;
}

/** A published tree at PREFIX/dists/DIST and what it shows. */
export interface PublishRecord {
  readonly prefix: string;
  readonly dist: string;
  readonly source: { readonly kind: 'snapshot' | 'repo'; readonly name: string };
  /** When set, every package is published in this one component. */
  readonly component?: string;
  readonly architectures: readonly string[];
  readonly meta: PublishMeta;
  /** Contents-ARCH.gz indexes are written (`--contents`); kept by switch and update. */
  readonly contents?: boolean;
  /** Release has an MD5Sum section (`--md5`); kept by switch and update. */
  readonly md5?: boolean;
  /**
   * The server's public URL the Release names in `Snapshots:` (apt's time travel); kept by
   * switch and update. Absent: no Snapshots field.
   */
  readonly publicUrl?: string;
  /**
   * Generations kept served by hash (and reachable by `/snapshots/ID/`); default 3. Kept by
   * switch and update.
   */
  readonly keepGenerations?: number;
  readonly keyFingerprint: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly releaseSha256: string;
}

/** Identity of a package inside a set: what `remove` and `diff` compare. */
export function packageKey(p: Pick<PackageRecord, 'kind' | 'name' | 'version' | 'architecture' | 'files'>): string {
  return `${p.kind} ${p.name} ${p.version} ${p.architecture} ${p.files[0]?.sha256 ?? ''}`;
}
