import type {
  DeferredPolicy,
  MirrorRecord,
  PackageEntry,
  PackageSlot,
  PublishRecord,
  RepoRecord,
  SnapshotRecord,
  UnresolvedDependency,
} from './records.js';
import type { TaskRecord } from './coordination-records.js';
import type { OnDemandSource, PoolViewFile, StoreReader } from './store.js';
import type { SigningKeyRecord } from './signing-key-record.js';
import type { TokenRecord } from './token-record.js';

/**
 * The reads of a Store, answered by `reader`: a backend's reader of committed state (the
 * writer of a transaction reads its own work instead). One copy of the forwarding for every
 * backend.
 */
export abstract class ForwardingReader implements StoreReader {
  protected abstract get reader(): StoreReader;

  getTask(id: string): Promise<TaskRecord | undefined> {
    return this.reader.getTask(id);
  }
  listTasks(limit: number): Promise<TaskRecord[]> {
    return this.reader.listTasks(limit);
  }
  unfinishedTasks(): Promise<TaskRecord[]> {
    return this.reader.unfinishedTasks();
  }
  getMirror(name: string): Promise<MirrorRecord | undefined> {
    return this.reader.getMirror(name);
  }
  listMirrors(): Promise<MirrorRecord[]> {
    return this.reader.listMirrors();
  }
  mirrorPackages(name: string): Promise<PackageEntry[]> {
    return this.reader.mirrorPackages(name);
  }
  mirrorUnresolved(name: string): Promise<UnresolvedDependency[]> {
    return this.reader.mirrorUnresolved(name);
  }
  referencedFiles(): Promise<Set<string>> {
    return this.reader.referencedFiles();
  }
  getRepo(name: string): Promise<RepoRecord | undefined> {
    return this.reader.getRepo(name);
  }
  listRepos(): Promise<RepoRecord[]> {
    return this.reader.listRepos();
  }
  repoPackages(name: string): Promise<PackageEntry[]> {
    return this.reader.repoPackages(name);
  }
  repoPackagesLike(name: string, wanted: readonly PackageSlot[]): Promise<PackageEntry[]> {
    return this.reader.repoPackagesLike(name, wanted);
  }
  getSnapshot(name: string): Promise<SnapshotRecord | undefined> {
    return this.reader.getSnapshot(name);
  }
  listSnapshots(): Promise<SnapshotRecord[]> {
    return this.reader.listSnapshots();
  }
  snapshotPackages(name: string): Promise<PackageEntry[]> {
    return this.reader.snapshotPackages(name);
  }
  packagesToPublish(source: { readonly kind: 'repo' | 'snapshot'; readonly name: string }): Promise<PackageEntry[]> {
    return this.reader.packagesToPublish(source);
  }
  getPublish(prefix: string, dist: string): Promise<PublishRecord | undefined> {
    return this.reader.getPublish(prefix, dist);
  }
  listPublishes(): Promise<PublishRecord[]> {
    return this.reader.listPublishes();
  }
  listTokens(): Promise<TokenRecord[]> {
    return this.reader.listTokens();
  }
  listSigningKeys(): Promise<SigningKeyRecord[]> {
    return this.reader.listSigningKeys();
  }
  getSigningKey(fingerprint: string): Promise<SigningKeyRecord | undefined> {
    return this.reader.getSigningKey(fingerprint);
  }
  defaultSigningKey(): Promise<string | undefined> {
    return this.reader.defaultSigningKey();
  }
  poolViewFile(prefix: string, path: string): Promise<PoolViewFile | undefined> {
    return this.reader.poolViewFile(prefix, path);
  }
  poolView(prefix: string): Promise<PoolViewFile[]> {
    return this.reader.poolView(prefix);
  }
  onDemandSource(sha256: string): Promise<OnDemandSource | undefined> {
    return this.reader.onDemandSource(sha256);
  }
  deferredFiles(): Promise<Map<string, DeferredPolicy>> {
    return this.reader.deferredFiles();
  }
}
