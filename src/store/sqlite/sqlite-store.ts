import Database from 'better-sqlite3';
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DebstashError } from '../../errors/debstash-error.js';
import type {
  MirrorConfig,
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
} from '../records.js';
import type { DeferredPolicy } from '../records.js';
import type { LockAttempt, LockRecord, StoreOwner, TaskRecord } from '../coordination-records.js';
import { ForwardingReader } from '../forwarding-reader.js';
import { deferredFilesSql } from '../deferred-files-sql.js';
import type { OnDemandSource, PoolViewChange, PoolViewFile, Store, StoreReader, StoreWriter } from '../store.js';
import type { SigningKeyRecord } from '../signing-key-record.js';
import type { TokenRecord } from '../token-record.js';
import {
  byNameArchVersion,
  entryOf,
  type LockRow,
  mergePackageRows,
  MIRROR_SET,
  type MirrorRow,
  type PackageSet,
  type RawFileRow,
  type RawPackageRow,
  REPO_SET,
  type RepoRow,
  sameOwner,
  SNAPSHOT_SET,
  type SnapshotRow,
  taskColumns,
  toLock,
  toMirror,
  toTask,
  type TaskRow,
  DEFAULT_KEY_SETTING,
  KEY_COLUMNS,
  keyColumns,
  type KeyRow,
  toSigningKey,
} from '../store-rows.js';
import { MIGRATIONS, migrationSql } from '../migrations.js';

type Db = Database.Database;

const DEFERRED_SQL = deferredFilesSql('sqlite');

const OWNER_ONLY = 0o600;

/** Closes the file to others; a file another user owns (shared through its group) is left as it is. */
function narrowMode(file: string): void {
  try {
    chmodSync(file, OWNER_ONLY);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
  }
}

const sqliteCode = (err: unknown): string | undefined =>
  err instanceof Error && 'code' in err && typeof err.code === 'string' && err.code.startsWith('SQLITE_') ? err.code : undefined;

function storeError(err: unknown, what: string): unknown {
  if (err instanceof DebstashError) return err;
  const code = sqliteCode(err);
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new DebstashError('DEBSTASH_E_STORE_BUSY', `${what}: another process kept the store locked for over ${BUSY_GIVE_UP_MS / 1000} s`, { sqlite: code }, { cause: err });
  }
  if (code !== undefined) return new DebstashError('DEBSTASH_E_STORE', `${what}: ${err instanceof Error ? err.message : String(err)}`, { sqlite: code }, { cause: err });
  return err;
}

/** How long one statement waits for another process's write lock (SQLite's own wait). */
const BUSY_TIMEOUT_MS = 5_000;
/**
 * How long a write waits in all, retrying after each busy timeout: a big mirror commit of
 * another process can hold the write lock for many seconds, and waiting is what the user
 * wants; past this something is wrong (a process stuck holding it) and the error says so.
 */
const BUSY_GIVE_UP_MS = 120_000;

const isBusy = (err: unknown): boolean => sqliteCode(err) === 'SQLITE_BUSY';

/** Runs `step` again while another process holds the store's write lock, up to BUSY_GIVE_UP_MS. */
async function retryBusy<T>(step: () => T): Promise<T> {
  const deadline = Date.now() + BUSY_GIVE_UP_MS;
  for (;;) {
    try {
      return step();
    } catch (err) {
      if (!isBusy(err) || Date.now() >= deadline) throw err;
      await sleep(20 + Math.random() * 80);
    }
  }
}

function migrate(db: Db, file: string): void {
  const version = (): number => db.pragma('user_version', { simple: true }) as number;
  const current = version();
  if (current > MIGRATIONS.length) {
    throw new DebstashError('DEBSTASH_E_STORE_VERSION', `${file} has schema version ${current}; this debstash knows up to ${MIGRATIONS.length}`, {
      file,
      version: current,
    });
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      // Read again under the write lock: another process opening the same file at the same
      // time may have migrated it meanwhile.
      if (version() > v) return;
      db.exec(migrationSql(v, 'sqlite'));
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}

/** Reads through one connection; both the reader and the writer connection use it. */
class SqliteReader implements StoreReader {
  constructor(protected readonly db: Db) {}

  protected mirrorRow(name: string): MirrorRow | undefined {
    return this.db
      .prepare<[string], MirrorRow>(
        `SELECT m.*, (SELECT count(*) FROM mirror_packages mp WHERE mp.mirror_id = m.id) AS package_count
         FROM mirrors m WHERE m.name = ?`,
      )
      .get(name);
  }

  protected requireMirror(name: string): MirrorRow {
    const row = this.mirrorRow(name);
    if (row === undefined) throw new DebstashError('DEBSTASH_E_MIRROR_NOT_FOUND', `no mirror named "${name}"`, { mirror: name });
    return row;
  }

  async getMirror(name: string): Promise<MirrorRecord | undefined> {
    const row = this.mirrorRow(name);
    return row === undefined ? undefined : toMirror(row);
  }

  async listMirrors(): Promise<MirrorRecord[]> {
    return this.db
      .prepare<[], MirrorRow>(
        `SELECT m.*, (SELECT count(*) FROM mirror_packages mp WHERE mp.mirror_id = m.id) AS package_count
         FROM mirrors m ORDER BY m.name`,
      )
      .all()
      .map((row) => toMirror(row));
  }

  async mirrorPackages(name: string): Promise<PackageEntry[]> {
    return this.packagesOf(MIRROR_SET, this.requireMirror(name).id);
  }

  /**
   * The packages of one mirror, repo or snapshot, sorted. Both queries walk the link table's
   * primary key, so packages and files come in package_id order and are merged without a map;
   * raw (array) rows because a publish reads every package of large sets (issue 5).
   */
  protected packagesOf(set: PackageSet, ownerId: number): PackageEntry[] {
    return this.linkedPackages(set, ownerId, true).sort(byNameArchVersion);
  }

  /**
   * The packages of a set in package_id order; with `stanzas` false, each stanza is read when
   * first used. One read transaction over both queries: they see the same committed state,
   * whatever another process commits between them (a savepoint when already in a transaction).
   */
  protected linkedPackages(set: PackageSet, ownerId: number, stanzas: boolean): PackageEntry[] {
    return this.db.transaction(() => this.#linkedPackages(set, ownerId, stanzas))();
  }

  #linkedPackages(set: PackageSet, ownerId: number, stanzas: boolean): PackageEntry[] {
    const byId = stanzas ? undefined : this.db.prepare<[number], string>('SELECT stanza FROM packages WHERE id = ?').pluck();
    const readStanza = byId && ((id: number): string => byId.get(id) as string);
    const rows = this.db
      .prepare<[number], RawPackageRow>(
        // Without stanzas, the covering index packages_listing: SQLite would take the rows otherwise.
        `SELECT p.id, p.kind, p.name, p.version, p.architecture, ${stanzas ? 'p.stanza' : 'NULL'}, l.component
         FROM ${set.table} l JOIN packages p ${stanzas ? '' : 'INDEXED BY packages_listing '}ON p.id = l.package_id WHERE l.${set.owner} = ? ORDER BY l.package_id`,
      )
      .raw()
      .all(ownerId);
    const fileRows = this.db
      .prepare<[number], RawFileRow>(
        `SELECT f.package_id, f.path, f.sha256, f.size FROM ${set.table} l
         JOIN package_files f ON f.package_id = l.package_id WHERE l.${set.owner} = ? ORDER BY l.package_id, f.seq`,
      )
      .raw()
      .all(ownerId);
    return mergePackageRows(rows, fileRows, readStanza);
  }

  protected named<T>(table: 'repos' | 'snapshots', name: string, code: 'DEBSTASH_E_REPO_NOT_FOUND' | 'DEBSTASH_E_SNAPSHOT_NOT_FOUND'): T & { id: number } {
    const row = this.db.prepare<[string], T & { id: number }>(`SELECT * FROM ${table} WHERE name = ?`).get(name);
    if (row === undefined) throw new DebstashError(code, `no ${table === 'repos' ? 'repo' : 'snapshot'} named "${name}"`, { name });
    return row;
  }

  /** The link table and owner id of a mirror, repo or snapshot (which must exist). */
  protected setOf(origin: SnapshotOrigin): { set: PackageSet; id: number } {
    if (origin.kind === 'mirror') return { set: MIRROR_SET, id: this.requireMirror(origin.name).id };
    if (origin.kind === 'repo') return { set: REPO_SET, id: this.named<RepoRow>('repos', origin.name, 'DEBSTASH_E_REPO_NOT_FOUND').id };
    return { set: SNAPSHOT_SET, id: this.named<SnapshotRow>('snapshots', origin.name, 'DEBSTASH_E_SNAPSHOT_NOT_FOUND').id };
  }

  protected countOf(set: PackageSet, ownerId: number): number {
    return this.db.prepare<[number], { n: number }>(`SELECT count(*) AS n FROM ${set.table} WHERE ${set.owner} = ?`).get(ownerId)?.n ?? 0;
  }

  #repo(row: RepoRow): RepoRecord {
    return { name: row.name, comment: row.comment, createdAt: row.created_at, packageCount: this.countOf(REPO_SET, row.id) };
  }

  #snapshot(row: SnapshotRow): SnapshotRecord {
    return {
      name: row.name,
      description: row.description,
      createdAt: row.created_at,
      origins: JSON.parse(row.origins) as SnapshotOrigin[],
      packageCount: this.countOf(SNAPSHOT_SET, row.id),
    };
  }

  async getRepo(name: string): Promise<RepoRecord | undefined> {
    const row = this.db.prepare<[string], RepoRow>('SELECT * FROM repos WHERE name = ?').get(name);
    return row === undefined ? undefined : this.#repo(row);
  }

  async listRepos(): Promise<RepoRecord[]> {
    return this.db.prepare<[], RepoRow>('SELECT * FROM repos ORDER BY name').all().map((r) => this.#repo(r));
  }

  async repoPackages(name: string): Promise<PackageEntry[]> {
    return this.packagesOf(REPO_SET, this.named<RepoRow>('repos', name, 'DEBSTASH_E_REPO_NOT_FOUND').id);
  }

  async repoPackagesLike(name: string, wanted: readonly PackageSlot[]): Promise<PackageEntry[]> {
    const repoId = this.named<RepoRow>('repos', name, 'DEBSTASH_E_REPO_NOT_FOUND').id;
    // Both lookups are by index: the packages' unique key starts with these four columns.
    const find = this.db
      .prepare<[number, string, string, string, string], RawPackageRow>(
        `SELECT p.id, p.kind, p.name, p.version, p.architecture, p.stanza, l.component
         FROM packages p JOIN repo_packages l ON l.package_id = p.id AND l.repo_id = ?
         WHERE p.kind = ? AND p.name = ? AND p.version = ? AND p.architecture = ?`,
      )
      .raw();
    const filesOf = this.db.prepare<[number], [string, string, number]>('SELECT path, sha256, size FROM package_files WHERE package_id = ? ORDER BY seq').raw();
    const found = new Map<number, PackageEntry>();
    for (const w of wanted) {
      for (const row of find.all(repoId, w.kind, w.name, w.version, w.architecture)) {
        if (!found.has(row[0])) found.set(row[0], entryOf(row, filesOf.all(row[0]).map(([path, sha256, size]) => ({ path, sha256, size }))));
      }
    }
    return [...found.values()].sort(byNameArchVersion);
  }

  async getSnapshot(name: string): Promise<SnapshotRecord | undefined> {
    const row = this.db.prepare<[string], SnapshotRow>('SELECT * FROM snapshots WHERE name = ?').get(name);
    return row === undefined ? undefined : this.#snapshot(row);
  }

  async listSnapshots(): Promise<SnapshotRecord[]> {
    return this.db.prepare<[], SnapshotRow>('SELECT * FROM snapshots ORDER BY created_at, name').all().map((r) => this.#snapshot(r));
  }

  async snapshotPackages(name: string): Promise<PackageEntry[]> {
    return this.packagesOf(SNAPSHOT_SET, this.named<SnapshotRow>('snapshots', name, 'DEBSTASH_E_SNAPSHOT_NOT_FOUND').id);
  }

  async packagesToPublish(source: { readonly kind: 'repo' | 'snapshot'; readonly name: string }): Promise<PackageEntry[]> {
    const { set, id } = this.setOf(source);
    return this.linkedPackages(set, id, false);
  }

  async getPublish(prefix: string, dist: string): Promise<PublishRecord | undefined> {
    const row = this.db.prepare<[string, string], { record: string }>('SELECT record FROM publishes WHERE prefix = ? AND dist = ?').get(prefix, dist);
    return row === undefined ? undefined : (JSON.parse(row.record) as PublishRecord);
  }

  async listPublishes(): Promise<PublishRecord[]> {
    return this.db
      .prepare<[], { record: string }>('SELECT record FROM publishes ORDER BY prefix, dist')
      .all()
      .map((r) => JSON.parse(r.record) as PublishRecord);
  }

  async listTokens(): Promise<TokenRecord[]> {
    return this.db
      .prepare<[], { name: string; scope: TokenRecord['scope']; sha256: string; created_at: string }>('SELECT * FROM tokens ORDER BY name')
      .all()
      .map((r) => ({ name: r.name, scope: r.scope, sha256: r.sha256, createdAt: r.created_at }));
  }

  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    return this.db.prepare<[], KeyRow>(`SELECT ${KEY_COLUMNS} FROM keys ORDER BY fingerprint`).all().map(toSigningKey);
  }

  async getSigningKey(fingerprint: string): Promise<SigningKeyRecord | undefined> {
    const row = this.db.prepare<[string], KeyRow>(`SELECT ${KEY_COLUMNS} FROM keys WHERE fingerprint = ?`).get(fingerprint);
    return row === undefined ? undefined : toSigningKey(row);
  }

  async defaultSigningKey(): Promise<string | undefined> {
    return this.db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE name = ?').get(DEFAULT_KEY_SETTING)?.value;
  }

  async mirrorUnresolved(name: string): Promise<UnresolvedDependency[]> {
    const mirror = this.requireMirror(name);
    return this.db
      .prepare<[number], UnresolvedDependency>(
        'SELECT package, dependency FROM mirror_unresolved WHERE mirror_id = ? ORDER BY package, dependency',
      )
      .all(mirror.id);
  }

  async referencedFiles(): Promise<Set<string>> {
    // Only packages some mirror, repo or snapshot still holds: a package row outlives the
    // sets it was in, but its files are garbage once no set refers to it.
    const rows = this.db
      .prepare<[], { sha256: string }>(
        `SELECT DISTINCT f.sha256 FROM package_files f
         WHERE f.package_id IN (SELECT package_id FROM mirror_packages UNION SELECT package_id FROM repo_packages UNION SELECT package_id FROM snapshot_packages)
         UNION SELECT sha256 FROM pool_view`,
      )
      .all();
    return new Set(rows.map((r) => r.sha256));
  }

  async poolViewFile(prefix: string, path: string): Promise<PoolViewFile | undefined> {
    return this.db.prepare<[string, string], PoolViewFile>('SELECT path, sha256, size FROM pool_view WHERE prefix = ? AND path = ?').get(prefix, path);
  }

  async poolView(prefix: string): Promise<PoolViewFile[]> {
    return this.db.prepare<[string], PoolViewFile>('SELECT path, sha256, size FROM pool_view WHERE prefix = ? ORDER BY path').all(prefix);
  }

  async onDemandSource(sha256: string): Promise<OnDemandSource | undefined> {
    return this.db.prepare<[string], OnDemandSource>(DEFERRED_SQL.source).get(sha256);
  }

  async deferredFiles(): Promise<Map<string, DeferredPolicy>> {
    const rows = this.db.prepare<[], { sha256: string; kept: number }>(DEFERRED_SQL.files).all();
    return new Map(rows.map((r) => [r.sha256, r.kept === 1 ? 'cache-on-serve' : 'on-demand']));
  }

  async getTask(id: string): Promise<TaskRecord | undefined> {
    const row = this.db.prepare<[string], TaskRow>('SELECT * FROM tasks WHERE id = ?').get(id);
    return row === undefined ? undefined : toTask(row);
  }

  async listTasks(limit: number): Promise<TaskRecord[]> {
    return this.db.prepare<[number], TaskRow>('SELECT * FROM tasks ORDER BY created_at DESC, rowid DESC LIMIT ?').all(limit).map(toTask);
  }

  async unfinishedTasks(): Promise<TaskRecord[]> {
    return this.db.prepare<[], TaskRow>("SELECT * FROM tasks WHERE state IN ('queued', 'running') ORDER BY created_at, rowid").all().map(toTask);
  }
}

class SqliteWriter extends SqliteReader implements StoreWriter {
  async putPoolView(prefix: string, files: readonly PoolViewFile[]): Promise<PoolViewChange> {
    const find = this.db.prepare<[string, string], { sha256: string; size: number }>('SELECT sha256, size FROM pool_view WHERE prefix = ? AND path = ?');
    const put = this.db.prepare('INSERT OR REPLACE INTO pool_view (prefix, path, sha256, size) VALUES (?, ?, ?, ?)');
    const added: string[] = [];
    let replaced = 0;
    let present = 0;
    for (const f of files) {
      const old = find.get(prefix, f.path);
      if (old === undefined) added.push(f.path);
      else if (old.sha256 === f.sha256 && old.size === f.size) {
        present++;
        continue;
      } else replaced++;
      put.run(prefix, f.path, f.sha256, f.size);
    }
    return { added, replaced, present };
  }

  async removePoolView(prefix: string, paths: Iterable<string> | 'all'): Promise<number> {
    if (paths === 'all') return this.db.prepare('DELETE FROM pool_view WHERE prefix = ?').run(prefix).changes;
    const remove = this.db.prepare('DELETE FROM pool_view WHERE prefix = ? AND path = ?');
    let n = 0;
    for (const path of paths) n += remove.run(prefix, path).changes;
    return n;
  }

  async insertTask(t: TaskRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO tasks (id, kind, resources, state, progress, warnings, result, error, owner_host, owner_pid, owner_id, heartbeat_at, created_at, started_at, finished_at, cancel_requested)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(t.id, ...taskColumns(t), t.cancelRequested ? 1 : 0);
  }

  async updateTask(t: TaskRecord): Promise<boolean> {
    return (
      this.db
        .prepare(
          `UPDATE tasks SET kind = ?, resources = ?, state = ?, progress = ?, warnings = ?, result = ?, error = ?, owner_host = ?, owner_pid = ?, owner_id = ?,
             heartbeat_at = ?, created_at = ?, started_at = ?, finished_at = ?
           WHERE id = ? AND state IN ('queued', 'running')`,
        )
        .run(...taskColumns(t), t.id).changes > 0
    );
  }

  async requestTaskCancel(id: string): Promise<boolean> {
    return this.db.prepare("UPDATE tasks SET cancel_requested = 1 WHERE id = ? AND state IN ('queued', 'running')").run(id).changes > 0;
  }

  async pruneTasks(keep: number): Promise<number> {
    return this.db
      .prepare(
        `DELETE FROM tasks WHERE state NOT IN ('queued', 'running') AND id NOT IN
           (SELECT id FROM tasks WHERE state NOT IN ('queued', 'running') ORDER BY created_at DESC, rowid DESC LIMIT ?)`,
      )
      .run(keep).changes;
  }

  /** See Store.tryLock; runs inside the caller's BEGIN IMMEDIATE. */
  tryLock(resource: string, owner: StoreOwner, ttlMs: number, isDead: (holder: LockRecord) => boolean): LockAttempt {
    const now = new Date();
    const row = this.db.prepare<[string], LockRow>('SELECT * FROM locks WHERE resource = ?').get(resource);
    if (row !== undefined && !sameOwner(row, owner) && row.expires_at > now.toISOString() && !isDead(toLock(row))) return { acquired: false, holder: toLock(row) };
    this.db
      .prepare('INSERT OR REPLACE INTO locks (resource, owner_host, owner_pid, owner_id, acquired_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(resource, owner.host, owner.pid, owner.id, row !== undefined && sameOwner(row, owner) ? row.acquired_at : now.toISOString(), new Date(now.getTime() + ttlMs).toISOString());
    return { acquired: true };
  }

  renewLocks(owner: StoreOwner, ttlMs: number): string[] {
    const expires = new Date(Date.now() + ttlMs).toISOString();
    this.db.prepare('UPDATE locks SET expires_at = ? WHERE owner_host = ? AND owner_pid = ? AND owner_id = ?').run(expires, owner.host, owner.pid, owner.id);
    return this.db
      .prepare<[string, number, string], { resource: string }>('SELECT resource FROM locks WHERE owner_host = ? AND owner_pid = ? AND owner_id = ? ORDER BY resource')
      .all(owner.host, owner.pid, owner.id)
      .map((r) => r.resource);
  }

  unlock(resource: string, owner: StoreOwner): void {
    this.db.prepare('DELETE FROM locks WHERE resource = ? AND owner_host = ? AND owner_pid = ? AND owner_id = ?').run(resource, owner.host, owner.pid, owner.id);
  }

  async createMirror(name: string, config: MirrorConfig, createdAt: string): Promise<void> {
    if (this.mirrorRow(name) !== undefined) {
      throw new DebstashError('DEBSTASH_E_MIRROR_EXISTS', `a mirror named "${name}" exists already`, { mirror: name });
    }
    this.db.prepare('INSERT INTO mirrors (name, config, created_at) VALUES (?, ?, ?)').run(name, JSON.stringify(config), createdAt);
  }

  async setMirrorConfig(name: string, config: MirrorConfig): Promise<void> {
    this.requireMirror(name);
    this.db.prepare('UPDATE mirrors SET config = ? WHERE name = ?').run(JSON.stringify(config), name);
  }

  async touchMirror(name: string, sync: MirrorSyncState, updatedAt: string): Promise<void> {
    this.requireMirror(name);
    this.db.prepare('UPDATE mirrors SET sync = ?, updated_at = ? WHERE name = ?').run(JSON.stringify(sync), updatedAt, name);
  }

  /** Links packages to a set, storing each package (and its files) once across all sets. */
  protected linkPackages(set: PackageSet, ownerId: number, packages: readonly PackageEntry[]): void {
    const db = this.db;
    const findPackage = db.prepare<[string, string, string, string, string], { id: number }>(
      'SELECT id FROM packages WHERE kind = ? AND name = ? AND version = ? AND architecture = ? AND sha256 = ?',
    );
    const insertPackage = db.prepare('INSERT INTO packages (kind, name, version, architecture, sha256, stanza) VALUES (?, ?, ?, ?, ?, ?)');
    const insertFile = db.prepare('INSERT INTO package_files (package_id, seq, path, sha256, size) VALUES (?, ?, ?, ?, ?)');
    const link = db.prepare(`INSERT OR IGNORE INTO ${set.table} (${set.owner}, package_id, component) VALUES (?, ?, ?)`);
    for (const p of packages) {
      const sha256 = p.files[0]?.sha256 ?? '';
      let id = findPackage.get(p.kind, p.name, p.version, p.architecture, sha256)?.id;
      if (id === undefined) {
        id = Number(insertPackage.run(p.kind, p.name, p.version, p.architecture, sha256, p.stanza).lastInsertRowid);
        p.files.forEach((f, seq) => insertFile.run(id, seq, f.path, f.sha256, f.size));
      }
      link.run(ownerId, id, p.component);
    }
  }

  async replaceMirrorContents(name: string, contents: MirrorContents): Promise<void> {
    const mirror = this.requireMirror(name);
    const db = this.db;
    db.prepare('DELETE FROM mirror_packages WHERE mirror_id = ?').run(mirror.id);
    db.prepare('DELETE FROM mirror_unresolved WHERE mirror_id = ?').run(mirror.id);
    this.linkPackages(MIRROR_SET, mirror.id, contents.packages);
    const addUnresolved = db.prepare('INSERT INTO mirror_unresolved (mirror_id, package, dependency) VALUES (?, ?, ?)');
    for (const u of contents.unresolved) addUnresolved.run(mirror.id, u.package, u.dependency);
    db.prepare('UPDATE mirrors SET sync = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(contents.sync), contents.updatedAt, mirror.id);
  }

  async createRepo(name: string, comment: string, createdAt: string): Promise<void> {
    if ((await this.getRepo(name)) !== undefined) throw new DebstashError('DEBSTASH_E_REPO_EXISTS', `a repo named "${name}" exists already`, { repo: name });
    this.db.prepare('INSERT INTO repos (name, comment, created_at) VALUES (?, ?, ?)').run(name, comment, createdAt);
  }

  async addRepoPackages(name: string, packages: readonly PackageEntry[]): Promise<void> {
    this.linkPackages(REPO_SET, this.named<RepoRow>('repos', name, 'DEBSTASH_E_REPO_NOT_FOUND').id, packages);
  }

  async removeRepoPackages(name: string, packages: readonly PackageEntry[]): Promise<void> {
    const repo = this.named<RepoRow>('repos', name, 'DEBSTASH_E_REPO_NOT_FOUND');
    // One indexed delete per package (identity as packageKey): the rest of the repo is not read.
    const unlink = this.db.prepare(
      `DELETE FROM repo_packages WHERE repo_id = ? AND package_id =
         (SELECT id FROM packages WHERE kind = ? AND name = ? AND version = ? AND architecture = ? AND sha256 = ?)`,
    );
    for (const p of packages) unlink.run(repo.id, p.kind, p.name, p.version, p.architecture, p.files[0]?.sha256 ?? '');
  }

  async dropRepo(name: string): Promise<void> {
    this.db.prepare('DELETE FROM repos WHERE id = ?').run(this.named<RepoRow>('repos', name, 'DEBSTASH_E_REPO_NOT_FOUND').id);
  }

  /** The row of a new snapshot, still without packages; its id. */
  #newSnapshot(name: string, description: string, origins: readonly SnapshotOrigin[], createdAt: string): number {
    if (this.db.prepare<[string], { id: number }>('SELECT id FROM snapshots WHERE name = ?').get(name) !== undefined) {
      throw new DebstashError('DEBSTASH_E_SNAPSHOT_EXISTS', `a snapshot named "${name}" exists already`, { snapshot: name });
    }
    return Number(
      this.db.prepare('INSERT INTO snapshots (name, description, origins, created_at) VALUES (?, ?, ?, ?)').run(name, description, JSON.stringify(origins), createdAt)
        .lastInsertRowid,
    );
  }

  async createSnapshot(name: string, description: string, origins: readonly SnapshotOrigin[], packages: readonly PackageEntry[], createdAt: string): Promise<void> {
    this.linkPackages(SNAPSHOT_SET, this.#newSnapshot(name, description, origins, createdAt), packages);
  }

  async createSnapshotOfOrigins(name: string, description: string, origins: readonly SnapshotOrigin[], createdAt: string): Promise<void> {
    const id = this.#newSnapshot(name, description, origins, createdAt);
    // Package rows are never changed once written, so sharing them keeps the snapshot frozen.
    for (const origin of origins) {
      const { set, id: ownerId } = this.setOf(origin);
      this.db
        .prepare(`INSERT OR IGNORE INTO snapshot_packages (snapshot_id, package_id, component) SELECT ?, package_id, component FROM ${set.table} WHERE ${set.owner} = ?`)
        .run(id, ownerId);
    }
  }

  async dropSnapshot(name: string): Promise<void> {
    this.db.prepare('DELETE FROM snapshots WHERE id = ?').run(this.named<SnapshotRow>('snapshots', name, 'DEBSTASH_E_SNAPSHOT_NOT_FOUND').id);
  }

  async savePublish(record: PublishRecord): Promise<void> {
    this.db.prepare('INSERT OR REPLACE INTO publishes (prefix, dist, record) VALUES (?, ?, ?)').run(record.prefix, record.dist, JSON.stringify(record));
  }

  async dropPublish(prefix: string, dist: string): Promise<void> {
    this.db.prepare('DELETE FROM publishes WHERE prefix = ? AND dist = ?').run(prefix, dist);
  }

  async dropMirror(name: string): Promise<void> {
    const mirror = this.requireMirror(name);
    this.db.prepare('DELETE FROM mirrors WHERE id = ?').run(mirror.id);
  }

  async createToken(record: TokenRecord): Promise<void> {
    if (this.db.prepare<[string], { name: string }>('SELECT name FROM tokens WHERE name = ?').get(record.name) !== undefined) {
      throw new DebstashError('DEBSTASH_E_TOKEN_EXISTS', `a token named "${record.name}" exists already`, { token: record.name });
    }
    this.db.prepare('INSERT INTO tokens (name, scope, sha256, created_at) VALUES (?, ?, ?, ?)').run(record.name, record.scope, record.sha256, record.createdAt);
  }

  async revokeToken(name: string): Promise<void> {
    if (this.db.prepare('DELETE FROM tokens WHERE name = ?').run(name).changes === 0) {
      throw new DebstashError('DEBSTASH_E_TOKEN_NOT_FOUND', `no token named "${name}"`, { token: name });
    }
  }

  async addSigningKey(record: SigningKeyRecord): Promise<boolean> {
    return this.db.prepare(`INSERT INTO keys (${KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (fingerprint) DO NOTHING`).run(...keyColumns(record)).changes > 0;
  }

  async setDefaultSigningKey(fingerprint: string): Promise<void> {
    this.db.prepare('INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value').run(DEFAULT_KEY_SETTING, fingerprint);
  }
}

/**
 * The embedded store: one SQLite file in WAL mode. Writes go through one connection, one
 * transaction at a time (queued in-process, BEGIN IMMEDIATE across processes, retried while
 * another process holds the write lock); reads use a second connection so they see only
 * committed states.
 */
export class SqliteStore extends ForwardingReader implements Store {
  readonly kind = 'sqlite';
  readonly #writeDb: Db;
  readonly #readDb: Db;
  readonly #reader: SqliteReader;
  readonly #writer: SqliteWriter;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(
    writeDb: Db,
    readDb: Db,
    readonly location: string,
  ) {
    super();
    this.#writeDb = writeDb;
    this.#readDb = readDb;
    this.#reader = new SqliteReader(readDb);
    this.#writer = new SqliteWriter(writeDb);
  }

  static open(file: string): SqliteStore {
    try {
      mkdirSync(dirname(file), { recursive: true });
      // The file holds the signing keys: owner-only, as DATA_DIR/keys/ was (created so, never a
      // moment readable by others; SQLite gives its -wal and -shm files the database's mode).
      closeSync(openSync(file, 'a', OWNER_ONLY));
      narrowMode(file);
      const writeDb = new Database(file);
      // First: switching to WAL and migrating take the write lock another process may hold.
      writeDb.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      writeDb.pragma('journal_mode = WAL');
      writeDb.pragma('synchronous = NORMAL');
      writeDb.pragma('foreign_keys = ON');
      migrate(writeDb, file);
      const readDb = new Database(file, { readonly: true });
      readDb.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      return new SqliteStore(writeDb, readDb, file);
    } catch (err) {
      throw storeError(err, `cannot open ${file}`);
    }
  }

  transaction<T>(fn: (tx: StoreWriter) => Promise<T>): Promise<T> {
    return this.#immediate((writer) => fn(writer));
  }

  /** One BEGIN IMMEDIATE transaction on the write connection, after the ones queued before it. */
  #immediate<T>(fn: (writer: SqliteWriter) => Promise<T> | T): Promise<T> {
    const run = async (): Promise<T> => {
      const db = this.#writeDb;
      try {
        await retryBusy(() => db.exec('BEGIN IMMEDIATE'));
      } catch (err) {
        throw storeError(err, 'cannot start a transaction');
      }
      try {
        const result = await fn(this.#writer);
        // In WAL mode COMMIT needs no further lock, but a checkpoint may be busy briefly.
        await retryBusy(() => db.exec('COMMIT'));
        return result;
      } catch (err) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw storeError(err, 'transaction failed');
      }
    };
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  tryLock(resource: string, owner: StoreOwner, ttlMs: number, isDead: (holder: LockRecord) => boolean): Promise<LockAttempt> {
    return this.#immediate((w) => w.tryLock(resource, owner, ttlMs, isDead));
  }
  renewLocks(owner: StoreOwner, ttlMs: number): Promise<string[]> {
    return this.#immediate((w) => w.renewLocks(owner, ttlMs));
  }
  unlock(resource: string, owner: StoreOwner): Promise<void> {
    return this.#immediate((w) => w.unlock(resource, owner));
  }
  async listLocks(): Promise<LockRecord[]> {
    return this.#readDb.prepare<[], LockRow>('SELECT * FROM locks ORDER BY resource').all().map(toLock);
  }
  protected get reader(): StoreReader {
    return this.#reader;
  }

  async close(): Promise<void> {
    await this.#queue;
    this.#writeDb.close();
    this.#readDb.close();
  }
}
