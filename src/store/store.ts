import type { MirrorConfig } from '../model/mirror-config.js';
import type {
  MirrorContents,
  MirrorRecord,
  MirrorSyncState,
  PackageEntry,
  PackageSlot,
  PublishRecord,
  RepoRecord,
  SnapshotOrigin,
  SnapshotRecord,
  UnresolvedDependency,
} from './records.js';
import type { TokenRecord } from './token-record.js';

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
}

/**
 * The metadata store: SQLite in the data dir (embedded) or PostgreSQL (scale-out). A
 * transaction either commits everything it wrote or nothing; concurrent transactions are
 * serialized where they conflict. Readers outside transactions never see uncommitted work.
 */
export interface Store extends StoreReader {
  readonly kind: 'sqlite' | 'postgres';
  transaction<T>(fn: (tx: StoreWriter) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
