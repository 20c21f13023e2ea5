import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { compareVersions } from '../../deb/version.js';
import { DebstashError } from '../../errors/debstash-error.js';
import type { MirrorConfig } from '../../model/mirror-config.js';
import type {
  MirrorContents,
  MirrorRecord,
  MirrorSyncState,
  PackageEntry,
  PackageFile,
  PackageKind,
  UnresolvedDependency,
} from '../records.js';
import type { Store, StoreReader, StoreWriter } from '../store.js';
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

interface PackageRow {
  id: number;
  kind: PackageKind;
  name: string;
  version: string;
  architecture: string;
  stanza: string;
  component: string;
}

interface FileRow {
  package_id: number;
  path: string;
  sha256: string;
  size: number;
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
    const mirror = this.requireMirror(name);
    const rows = this.db
      .prepare<[number], PackageRow>(
        `SELECT p.id, p.kind, p.name, p.version, p.architecture, p.stanza, mp.component
         FROM mirror_packages mp JOIN packages p ON p.id = mp.package_id WHERE mp.mirror_id = ?`,
      )
      .all(mirror.id);
    const files = new Map<number, PackageFile[]>();
    const fileRows = this.db
      .prepare<[number], FileRow>(
        `SELECT f.package_id, f.path, f.sha256, f.size FROM package_files f
         JOIN mirror_packages mp ON mp.package_id = f.package_id WHERE mp.mirror_id = ? ORDER BY f.package_id, f.seq`,
      )
      .all(mirror.id);
    for (const f of fileRows) {
      const list = files.get(f.package_id) ?? [];
      list.push({ path: f.path, sha256: f.sha256, size: f.size });
      files.set(f.package_id, list);
    }
    return rows
      .map((r): PackageEntry => ({
        kind: r.kind,
        name: r.name,
        version: r.version,
        architecture: r.architecture,
        stanza: r.stanza,
        component: r.component,
        files: files.get(r.id) ?? [],
      }))
      .sort(byNameArchVersion);
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
    const rows = this.db.prepare<[], { sha256: string }>('SELECT DISTINCT sha256 FROM package_files').all();
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

  async replaceMirrorContents(name: string, contents: MirrorContents): Promise<void> {
    const mirror = this.requireMirror(name);
    const db = this.db;
    const findPackage = db.prepare<[string, string, string, string, string], { id: number }>(
      'SELECT id FROM packages WHERE kind = ? AND name = ? AND version = ? AND architecture = ? AND sha256 = ?',
    );
    const insertPackage = db.prepare(
      'INSERT INTO packages (kind, name, version, architecture, sha256, stanza) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const insertFile = db.prepare('INSERT INTO package_files (package_id, seq, path, sha256, size) VALUES (?, ?, ?, ?, ?)');
    const link = db.prepare('INSERT OR IGNORE INTO mirror_packages (mirror_id, package_id, component) VALUES (?, ?, ?)');
    const addUnresolved = db.prepare('INSERT INTO mirror_unresolved (mirror_id, package, dependency) VALUES (?, ?, ?)');

    db.prepare('DELETE FROM mirror_packages WHERE mirror_id = ?').run(mirror.id);
    db.prepare('DELETE FROM mirror_unresolved WHERE mirror_id = ?').run(mirror.id);
    for (const p of contents.packages) {
      const sha256 = p.files[0]?.sha256 ?? '';
      let id = findPackage.get(p.kind, p.name, p.version, p.architecture, sha256)?.id;
      if (id === undefined) {
        id = Number(insertPackage.run(p.kind, p.name, p.version, p.architecture, sha256, p.stanza).lastInsertRowid);
        p.files.forEach((f, seq) => insertFile.run(id, seq, f.path, f.sha256, f.size));
      }
      link.run(mirror.id, id, p.component);
    }
    for (const u of contents.unresolved) addUnresolved.run(mirror.id, u.package, u.dependency);
    db.prepare('UPDATE mirrors SET sync = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(contents.sync), contents.updatedAt, mirror.id);
  }

  async dropMirror(name: string): Promise<void> {
    const mirror = this.requireMirror(name);
    this.db.prepare('DELETE FROM mirrors WHERE id = ?').run(mirror.id);
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

  async close(): Promise<void> {
    await this.#queue;
    this.#writeDb.close();
    this.#readDb.close();
  }
}
