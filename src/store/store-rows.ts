/**
 * Rows as both store backends read them, and the records made of them: one mapping for
 * SQLite and PostgreSQL, so the two cannot drift apart.
 */
import { compareVersions } from '../deb/version.js';
import type { MirrorConfig, MirrorRecord, MirrorSyncState, PackageEntry, PackageFile, PackageKind } from './records.js';
import type { LockRecord, StoreOwner, TaskRecord, TaskState } from './coordination-records.js';
export interface MirrorRow {
  id: number;
  name: string;
  config: string;
  created_at: string;
  updated_at: string | null;
  sync: string | null;
  package_count: number;
}

/** id, kind, name, version, architecture, stanza (null when read later), component. */
export type RawPackageRow = [number, PackageKind, string, string, string, string | null, string];

export interface RepoRow {
  id: number;
  name: string;
  comment: string;
  created_at: string;
}

export interface SnapshotRow {
  id: number;
  name: string;
  description: string;
  origins: string;
  created_at: string;
}

/** A link table of packages to their owner; fixed names, never user input. */
export interface PackageSet {
  readonly table: 'mirror_packages' | 'repo_packages' | 'snapshot_packages';
  readonly owner: 'mirror_id' | 'repo_id' | 'snapshot_id';
}

export const MIRROR_SET: PackageSet = { table: 'mirror_packages', owner: 'mirror_id' };
export const REPO_SET: PackageSet = { table: 'repo_packages', owner: 'repo_id' };
export const SNAPSHOT_SET: PackageSet = { table: 'snapshot_packages', owner: 'snapshot_id' };

/** package_id, path, sha256, size. */
export type RawFileRow = [number, string, string, number];

export interface OwnerColumns {
  owner_host: string;
  owner_pid: number;
  owner_id: string;
}

export interface LockRow extends OwnerColumns {
  resource: string;
  acquired_at: string;
  expires_at: string;
}

export interface TaskRow extends OwnerColumns {
  id: string;
  kind: string;
  resources: string;
  state: TaskState;
  progress: string | null;
  warnings: string;
  result: string | null;
  error: string | null;
  heartbeat_at: string;
  cancel_requested: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export const ownerOf = (row: OwnerColumns): StoreOwner => ({ host: row.owner_host, pid: row.owner_pid, id: row.owner_id });
export const sameOwner = (row: OwnerColumns, owner: StoreOwner): boolean => row.owner_host === owner.host && row.owner_pid === owner.pid && row.owner_id === owner.id;
export const toLock = (row: LockRow): LockRecord => ({ resource: row.resource, owner: ownerOf(row), acquiredAt: row.acquired_at, expiresAt: row.expires_at });

export function toTask(row: TaskRow): TaskRecord {
  return {
    id: row.id,
    kind: row.kind,
    resources: JSON.parse(row.resources) as string[],
    state: row.state,
    createdAt: row.created_at,
    ...(row.started_at !== null ? { startedAt: row.started_at } : {}),
    ...(row.finished_at !== null ? { finishedAt: row.finished_at } : {}),
    ...(row.progress !== null ? { progress: JSON.parse(row.progress) as TaskRecord['progress'] } : {}),
    warnings: JSON.parse(row.warnings) as string[],
    ...(row.result !== null ? { result: JSON.parse(row.result) as unknown } : {}),
    ...(row.error !== null ? { error: JSON.parse(row.error) as TaskRecord['error'] } : {}),
    owner: ownerOf(row),
    heartbeatAt: row.heartbeat_at,
    cancelRequested: row.cancel_requested !== 0,
  };
}

/** The columns of a task row that its owner writes (everything but id and the cancel flag). */
export function taskColumns(t: TaskRecord): (string | number | null)[] {
  const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));
  return [
    t.kind,
    JSON.stringify(t.resources),
    t.state,
    json(t.progress),
    JSON.stringify(t.warnings),
    json(t.result),
    json(t.error),
    t.owner.host,
    t.owner.pid,
    t.owner.id,
    t.heartbeatAt,
    t.createdAt,
    t.startedAt ?? null,
    t.finishedAt ?? null,
  ];
}


/**
 * A package whose stanza is read from the store when first used (package rows never change,
 * so it is the same text whenever it is read). The stanza is a getter of the class (a plain
 * object with a getter is far slower to make and read): a copy made by spreading has none, so
 * the publish path that reads these does not copy them.
 */
export class LazyStanzaEntry implements PackageEntry {
  #stanza: string | undefined;
  constructor(
    readonly kind: PackageKind,
    readonly name: string,
    readonly version: string,
    readonly architecture: string,
    readonly component: string,
    readonly files: readonly PackageFile[],
    private readonly id: number,
    private readonly readStanza: (id: number) => string,
  ) {}

  get stanza(): string {
    return (this.#stanza ??= this.readStanza(this.id));
  }
}

/** The entry of a row; without its stanza, `readStanza` reads that when it is first used. */
export function entryOf(row: RawPackageRow, files: PackageFile[], readStanza?: (id: number) => string): PackageEntry {
  const [id, kind, name, version, architecture, stanza, component] = row;
  if (stanza !== null) return { kind, name, version, architecture, stanza, component, files };
  if (readStanza === undefined) throw new Error(`internal: package ${id} read without its stanza`);
  return new LazyStanzaEntry(kind, name, version, architecture, component, files, id, readStanza);
}


export function byNameArchVersion(a: PackageEntry, b: PackageEntry): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  if (a.architecture !== b.architecture) return a.architecture < b.architecture ? -1 : 1;
  return compareVersions(a.version, b.version);
}


export function toMirror(row: MirrorRow): MirrorRecord {
  return {
    name: row.name,
    config: JSON.parse(row.config) as MirrorConfig,
    createdAt: row.created_at,
    ...(row.updated_at !== null ? { updatedAt: row.updated_at } : {}),
    ...(row.sync !== null ? { sync: JSON.parse(row.sync) as MirrorSyncState } : {}),
    packageCount: row.package_count,
  };
}

/**
 * Entries of package rows and file rows that both come in package_id order (file rows by seq
 * within a package): merged in one pass, without a map, since a publish reads every package
 * of large sets.
 */
export function mergePackageRows(rows: readonly RawPackageRow[], fileRows: readonly RawFileRow[], readStanza?: (id: number) => string): PackageEntry[] {
  const entries: PackageEntry[] = new Array<PackageEntry>(rows.length);
  let next = 0;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as RawPackageRow;
    const id = row[0];
    const files: PackageFile[] = [];
    while (next < fileRows.length && (fileRows[next] as RawFileRow)[0] < id) next++;
    while (next < fileRows.length && (fileRows[next] as RawFileRow)[0] === id) {
      const [, path, sha256, size] = fileRows[next++] as RawFileRow;
      files.push({ path, sha256, size });
    }
    entries[i] = entryOf(row, files, readStanza);
  }
  return entries;
}
