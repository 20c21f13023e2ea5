import type {
  MirrorConfig,
  MirrorContents,
  MirrorRecord,
  MirrorSyncState,
  DeferredPolicy,
  PackageEntry,
  PackageSlot,
  PublishRecord,
  RepoRecord,
  SnapshotOrigin,
  SnapshotRecord,
  UnresolvedDependency,
} from './records.js';
import type { LockAttempt, LockRecord, StoreOwner, TaskRecord } from './coordination-records.js';
import type { SigningKeyRecord } from './signing-key-record.js';
import type { TokenRecord } from './token-record.js';

/**
 * One file of a prefix's published `pool/`: the server answers `PREFIX/path` with the pool file
 * `sha256`. The published pool is this view of the content-addressed pool, not a file tree.
 */
export interface PoolViewFile {
  /** `pool/COMPONENT/<letter>/SOURCE/FILE`, relative to the prefix. */
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
}

/**
 * Where an on-demand file can be fetched: a mirror with a deferred policy lists a package with
 * this file (docs/on-demand.md).
 */
export interface OnDemandSource {
  readonly mirror: string;
  /** The mirror's upstream archive root. */
  readonly url: string;
  /** The file's path under `url` (its index's Filename). */
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
  readonly policy: DeferredPolicy;
}

/** What putPoolView changed. */
export interface PoolViewChange {
  /** Paths that had no file before (what a failed publish takes back). */
  readonly added: readonly string[];
  /** Paths that had another file before. */
  readonly replaced: number;
  /** Paths that already had this file. */
  readonly present: number;
}

/** Questions about the metadata; every answer is one consistent state. */
export interface StoreReader {
  getMirror(name: string): Promise<MirrorRecord | undefined>;
  listMirrors(): Promise<MirrorRecord[]>;
  /** Sorted by name, architecture, version: listings are deterministic. */
  mirrorPackages(name: string): Promise<PackageEntry[]>;
  mirrorUnresolved(name: string): Promise<UnresolvedDependency[]>;
  /** Every pool SHA-256 something refers to, for garbage collection and `db check`. */
  referencedFiles(): Promise<Set<string>>;
  getRepo(name: string): Promise<RepoRecord | undefined>;
  listRepos(): Promise<RepoRecord[]>;
  repoPackages(name: string): Promise<PackageEntry[]>;
  /**
   * The packages of a repo that have the kind, name, version and architecture of one of
   * `wanted` (whatever their bytes): what adding those needs to know, read by index in time
   * proportional to `wanted`, not to the repo.
   */
  repoPackagesLike(name: string, wanted: readonly PackageSlot[]): Promise<PackageEntry[]>;
  getSnapshot(name: string): Promise<SnapshotRecord | undefined>;
  listSnapshots(): Promise<SnapshotRecord[]>;
  snapshotPackages(name: string): Promise<PackageEntry[]>;
  /**
   * The packages of a repo or snapshot as a publish reads them: in no particular order, each
   * stanza read from the store only when first used (package rows never change, so it is the
   * same text whenever it is read). A republish that takes unchanged paragraphs from its
   * previous generation then reads the stanzas of the new packages only.
   */
  packagesToPublish(source: { readonly kind: 'repo' | 'snapshot'; readonly name: string }): Promise<PackageEntry[]>;
  getPublish(prefix: string, dist: string): Promise<PublishRecord | undefined>;
  listPublishes(): Promise<PublishRecord[]>;
  /** Every API token (hashes only), by name. */
  listTokens(): Promise<TokenRecord[]>;
  /** Every signing key, by fingerprint. */
  listSigningKeys(): Promise<SigningKeyRecord[]>;
  getSigningKey(fingerprint: string): Promise<SigningKeyRecord | undefined>;
  /** The fingerprint recorded as the default key, if any. */
  defaultSigningKey(): Promise<string | undefined>;
  /** The file published at `path` (`pool/...`) under `prefix`: one lookup by key. */
  poolViewFile(prefix: string, path: string): Promise<PoolViewFile | undefined>;
  /** Every file of the published pool of `prefix`, sorted by path. */
  poolView(prefix: string): Promise<PoolViewFile[]>;
  /**
   * Where to fetch the file `sha256` from, when a mirror with the on-demand or cache-on-serve
   * policy lists it (the first such mirror by name); undefined otherwise.
   */
  onDemandSource(sha256: string): Promise<OnDemandSource | undefined>;
  /**
   * The files that may be absent from the pool: those mirrors with a deferred policy list and
   * no immediate mirror and no repo does. The value is `on-demand` when only on-demand mirrors
   * list the file (db cleanup may evict it), `cache-on-serve` when one such mirror does.
   */
  deferredFiles(): Promise<Map<string, DeferredPolicy>>;
  getTask(id: string): Promise<TaskRecord | undefined>;
  /** The newest `limit` tasks, newest first. */
  listTasks(limit: number): Promise<TaskRecord[]>;
  /** Tasks queued or running, oldest first: what a look for dead owners walks. */
  unfinishedTasks(): Promise<TaskRecord[]>;
}

/** Changes, only inside `Store.transaction`. */
export interface StoreWriter extends StoreReader {
  createMirror(name: string, config: MirrorConfig, createdAt: string): Promise<void>;
  setMirrorConfig(name: string, config: MirrorConfig): Promise<void>;
  /** Records that upstream was checked and unchanged, keeping the contents. */
  touchMirror(name: string, sync: MirrorSyncState, updatedAt: string): Promise<void>;
  /** Replaces the whole package list of a mirror: what a committed update does. */
  replaceMirrorContents(name: string, contents: MirrorContents): Promise<void>;
  dropMirror(name: string): Promise<void>;
  createRepo(name: string, comment: string, createdAt: string): Promise<void>;
  /** Adds packages; one already in the repo (same identity) is kept once. */
  addRepoPackages(name: string, packages: readonly PackageEntry[]): Promise<void>;
  /** Removes packages by identity (see packageKey). */
  removeRepoPackages(name: string, packages: readonly PackageEntry[]): Promise<void>;
  dropRepo(name: string): Promise<void>;
  createSnapshot(name: string, description: string, origins: readonly SnapshotOrigin[], packages: readonly PackageEntry[], createdAt: string): Promise<void>;
  /**
   * A snapshot of everything its origins hold now, copied inside the store set by set (a
   * package in several keeps the first origin's component): no package passes through the
   * caller, so its cost does not grow with what the caller would have read.
   */
  createSnapshotOfOrigins(name: string, description: string, origins: readonly SnapshotOrigin[], createdAt: string): Promise<void>;
  dropSnapshot(name: string): Promise<void>;
  /** Inserts or replaces the publish at (prefix, dist). */
  savePublish(record: PublishRecord): Promise<void>;
  dropPublish(prefix: string, dist: string): Promise<void>;
  createToken(record: TokenRecord): Promise<void>;
  /** Deletes the token: requests with its secret fail from now on. */
  revokeToken(name: string): Promise<void>;
  /** Adds the key; false (and the stored one left as it was) when the store has it already. */
  addSigningKey(record: SigningKeyRecord): Promise<boolean>;
  /** Records `fingerprint` as the default key (the caller checked the key is there). */
  setDefaultSigningKey(fingerprint: string): Promise<void>;
  /** Publishes these files in the pool of `prefix` (a path already there gets the new file). */
  putPoolView(prefix: string, files: readonly PoolViewFile[]): Promise<PoolViewChange>;
  /** Unpublishes these paths of `prefix` (absent ones are fine), or every path; returns how many went. */
  removePoolView(prefix: string, paths: Iterable<string> | 'all'): Promise<number>;
  insertTask(record: TaskRecord): Promise<void>;
  /**
   * Writes the task's state, progress, result and heartbeat, unless the row is finished
   * already (a final state never changes: a process that marked a silent owner's task failed
   * wins over that owner coming back). Keeps `cancelRequested`. False when nothing was written.
   */
  updateTask(record: TaskRecord): Promise<boolean>;
  /** Sets the cancel flag of an unfinished task; false when there is none (unknown or finished). */
  requestTaskCancel(id: string): Promise<boolean>;
  /** Forgets finished tasks beyond the newest `keep`; returns how many went. */
  pruneTasks(keep: number): Promise<number>;
}

/**
 * The metadata store: SQLite in the data dir (embedded) or PostgreSQL (scale-out). A
 * transaction either commits everything it wrote or nothing; concurrent transactions are
 * serialized where they conflict. Readers outside transactions never see uncommitted work.
 */
export interface Store extends StoreReader {
  readonly kind: 'sqlite' | 'postgres';
  /** Where the metadata lives, for people: the SQLite file, or the PostgreSQL URL with its password as `***`. */
  readonly location: string;
  /**
   * Runs `fn` as one transaction that holds across processes: it starts by taking the write
   * lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: SERIALIZABLE, or SELECT ... FOR UPDATE of the
   * rows it decides on), so a check made with `tx` still holds when `fn` writes. Contention
   * is waited for and retried inside; it never reaches the caller as a busy error.
   */
  transaction<T>(fn: (tx: StoreWriter) => Promise<T>): Promise<T>;
  /**
   * Takes the lock on `resource` for `owner` until `ttlMs` from now (by the store's clock) if
   * nobody holds it, the holder let it expire, the holder is `owner` already, or `isDead`
   * says the holder died; else tells who holds it. One atomic step: of two processes trying
   * at once, one gets it. (PostgreSQL: INSERT ... ON CONFLICT, or SELECT ... FOR UPDATE of the
   * row then UPDATE; advisory locks would tie the lock to one connection instead.)
   */
  tryLock(resource: string, owner: StoreOwner, ttlMs: number, isDead: (holder: LockRecord) => boolean): Promise<LockAttempt>;
  /** Moves the expiry of every lock `owner` holds to `ttlMs` from now; returns the resources it still holds. */
  renewLocks(owner: StoreOwner, ttlMs: number): Promise<string[]>;
  /** Releases `resource` if `owner` holds it (a lock taken over by another is left alone). */
  unlock(resource: string, owner: StoreOwner): Promise<void>;
  /** Every lock held now, by resource (diagnostics, tests). */
  listLocks(): Promise<LockRecord[]>;
  close(): Promise<void>;
}
