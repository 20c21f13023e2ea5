import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { compareVersions } from '../../deb/version.js';
import { DebstashError } from '../../errors/debstash-error.js';
import type { MirrorConfig } from '../../model/mirror-config.js';
import {
  type MirrorContents,
  type MirrorRecord,
  type MirrorSyncState,
  type PackageEntry,
  type PackageFile,
  type PackageKind,
  type PackageSlot,
  type PublishRecord,
  type RepoRecord,
  type SnapshotOrigin,
  type SnapshotRecord,
  type UnresolvedDependency,
} from '../records.js';
import type { Store, StoreReader, StoreWriter } from '../store.js';
import type { TokenRecord } from '../token-record.js';
import { MIGRATIONS } from './migrations.js';

type Db = Database.Database;

interface MirrorRow {
  id: number;
  name: string;
  config: string;
  created_at: string;
  updated_at: string | null;
  sync: string | null;
  package_count: number;
}

/** id, kind, name, version, architecture, stanza (null when read later), component. */
type RawPackageRow = [number, PackageKind, string, string, string, string | null, string];

interface RepoRow {
  id: number;
  name: string;
  comment: string;
  created_at: string;
}

interface SnapshotRow {
  id: number;
  name: string;
  description: string;
  origins: string;
  created_at: string;
}

/** A link table of packages to their owner; fixed names, never user input. */
interface PackageSet {
  readonly table: 'mirror_packages' | 'repo_packages' | 'snapshot_packages';
  readonly owner: 'mirror_id' | 'repo_id' | 'snapshot_id';
}

const MIRROR_SET: PackageSet = { table: 'mirror_packages', owner: 'mirror_id' };
const REPO_SET: PackageSet = { table: 'repo_packages', owner: 'repo_id' };
const SNAPSHOT_SET: PackageSet = { table: 'snapshot_packages', owner: 'snapshot_id' };

/** package_id, path, sha256, size. */
type RawFileRow = [number, string, string, number];

/**
 * A package whose stanza is read from the store when first used (package rows never change,
 * so it is the same text whenever it is read). The stanza is a getter of the class (a plain
 * object with a getter is far slower to make and read): a copy made by spreading has none, so
 * the publish path that reads these does not copy them.
 */
class LazyStanzaEntry implements PackageEntry {
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
function entryOf(row: RawPackageRow, files: PackageFile[], readStanza?: (id: number) => string): PackageEntry {
  const [id, kind, name, version, architecture, stanza, component] = row;
  if (stanza !== null) return { kind, name, version, architecture, stanza, component, files };
  if (readStanza === undefined) throw new Error(`internal: package ${id} read without its stanza`);
  return new LazyStanzaEntry(kind, name, version, architecture, component, files, id, readStanza);
}

function storeError(err: unknown, what: string): unknown {
  if (err instanceof DebstashError) return err;
  if (err instanceof Error && 'code' in err && typeof err.code === 'string' && err.code.startsWith('SQLITE_')) {
    return new DebstashError('DEBSTASH_E_STORE', `${what}: ${err.message}`, { sqlite: err.code }, { cause: err });
  }
  return err;
}

function migrate(db: Db, file: string): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new DebstashError('DEBSTASH_E_STORE_VERSION', `${file} has schema version ${current}; this debstash knows up to ${MIGRATIONS.length}`, {
      file,
      version: current,
    });
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v] ?? '');
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}

function byNameArchVersion(a: PackageEntry, b: PackageEntry): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  if (a.architecture !== b.architecture) return a.architecture < b.architecture ? -1 : 1;
  return compareVersions(a.version, b.version);
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

  static toMirror(row: MirrorRow): MirrorRecord {
    return {
      name: row.name,
      config: JSON.parse(row.config) as MirrorConfig,
      createdAt: row.created_at,
      ...(row.updated_at !== null ? { updatedAt: row.updated_at } : {}),
      ...(row.sync !== null ? { sync: JSON.parse(row.sync) as MirrorSyncState } : {}),
      packageCount: row.package_count,
    };
  }

  async getMirror(name: string): Promise<MirrorRecord | undefined> {
    const row = this.mirrorRow(name);
    return row === undefined ? undefined : SqliteReader.toMirror(row);
  }

  async listMirrors(): Promise<MirrorRecord[]> {
    return this.db
      .prepare<[], MirrorRow>(
        `SELECT m.*, (SELECT count(*) FROM mirror_packages mp WHERE mp.mirror_id = m.id) AS package_count
         FROM mirrors m ORDER BY m.name`,
      )
      .all()
      .map((row) => SqliteReader.toMirror(row));
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

  /** The packages of a set in package_id order; with `stanzas` false, each stanza is read when first used. */
  protected linkedPackages(set: PackageSet, ownerId: number, stanzas: boolean): PackageEntry[] {
    const byId = stanzas ? undefined : this.db.prepare<[number], string>('SELECT stanza FROM packages WHERE id = ?').pluck();
    const readStanza = byId && ((id: number): string => byId.get(id) as string);
    const rows = this.db
      .prepare<[number], RawPackageRow>(
        // Without stanzas, the covering index (migration 4): SQLite would take the rows otherwise.
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
    const entries: PackageEntry[] = new Array<PackageEntry>(rows.length);
    let next = 0;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as RawPackageRow;
      const id = row[0];
      const files: PackageFile[] = [];
      // Files of a package linked between the two queries are skipped, as the package is.
      while (next < fileRows.length && (fileRows[next] as RawFileRow)[0] < id) next++;
      while (next < fileRows.length && (fileRows[next] as RawFileRow)[0] === id) {
        const [, path, sha256, size] = fileRows[next++] as RawFileRow;
        files.push({ path, sha256, size });
      }
      entries[i] = entryOf(row, files, readStanza);
    }
    return entries;
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
         WHERE f.package_id IN (SELECT package_id FROM mirror_packages UNION SELECT package_id FROM repo_packages UNION SELECT package_id FROM snapshot_packages)`,
      )
      .all();
    return new Set(rows.map((r) => r.sha256));
  }
}

class SqliteWriter extends SqliteReader implements StoreWriter {
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
}

/**
 * The embedded store: one SQLite file in WAL mode. Writes go through one connection, one
 * transaction at a time (queued in-process, BEGIN IMMEDIATE across processes); reads use a
 * second connection so they see only committed states.
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly #writeDb: Db;
  readonly #readDb: Db;
  readonly #reader: SqliteReader;
  readonly #writer: SqliteWriter;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(writeDb: Db, readDb: Db) {
    this.#writeDb = writeDb;
    this.#readDb = readDb;
    this.#reader = new SqliteReader(readDb);
    this.#writer = new SqliteWriter(writeDb);
  }

  static open(file: string): SqliteStore {
    try {
      mkdirSync(dirname(file), { recursive: true });
      const writeDb = new Database(file);
      writeDb.pragma('journal_mode = WAL');
      writeDb.pragma('synchronous = NORMAL');
      writeDb.pragma('foreign_keys = ON');
      writeDb.pragma('busy_timeout = 10000');
      migrate(writeDb, file);
      const readDb = new Database(file, { readonly: true });
      readDb.pragma('busy_timeout = 10000');
      return new SqliteStore(writeDb, readDb);
    } catch (err) {
      throw storeError(err, `cannot open ${file}`);
    }
  }

  transaction<T>(fn: (tx: StoreWriter) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      const db = this.#writeDb;
      try {
        db.exec('BEGIN IMMEDIATE');
      } catch (err) {
        throw storeError(err, 'cannot start a transaction');
      }
      try {
        const result = await fn(this.#writer);
        db.exec('COMMIT');
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

  getMirror(name: string): Promise<MirrorRecord | undefined> {
    return this.#reader.getMirror(name);
  }
  listMirrors(): Promise<MirrorRecord[]> {
    return this.#reader.listMirrors();
  }
  mirrorPackages(name: string): Promise<PackageEntry[]> {
    return this.#reader.mirrorPackages(name);
  }
  mirrorUnresolved(name: string): Promise<UnresolvedDependency[]> {
    return this.#reader.mirrorUnresolved(name);
  }
  referencedFiles(): Promise<Set<string>> {
    return this.#reader.referencedFiles();
  }
  getRepo(name: string): Promise<RepoRecord | undefined> {
    return this.#reader.getRepo(name);
  }
  listRepos(): Promise<RepoRecord[]> {
    return this.#reader.listRepos();
  }
  repoPackages(name: string): Promise<PackageEntry[]> {
    return this.#reader.repoPackages(name);
  }
  repoPackagesLike(name: string, wanted: readonly PackageSlot[]): Promise<PackageEntry[]> {
    return this.#reader.repoPackagesLike(name, wanted);
  }
  getSnapshot(name: string): Promise<SnapshotRecord | undefined> {
    return this.#reader.getSnapshot(name);
  }
  listSnapshots(): Promise<SnapshotRecord[]> {
    return this.#reader.listSnapshots();
  }
  snapshotPackages(name: string): Promise<PackageEntry[]> {
    return this.#reader.snapshotPackages(name);
  }
  packagesToPublish(source: { readonly kind: 'repo' | 'snapshot'; readonly name: string }): Promise<PackageEntry[]> {
    return this.#reader.packagesToPublish(source);
  }
  getPublish(prefix: string, dist: string): Promise<PublishRecord | undefined> {
    return this.#reader.getPublish(prefix, dist);
  }
  listPublishes(): Promise<PublishRecord[]> {
    return this.#reader.listPublishes();
  }
  listTokens(): Promise<TokenRecord[]> {
    return this.#reader.listTokens();
  }

  async close(): Promise<void> {
    await this.#queue;
    this.#writeDb.close();
    this.#readDb.close();
  }
}
