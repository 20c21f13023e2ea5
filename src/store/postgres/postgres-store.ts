import pg from 'pg';
import { DebstashError } from '../../errors/debstash-error.js';
import type { DatabaseUrl } from '../database-url.js';
import { MIGRATIONS, migrationSql } from '../migrations.js';
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
import {
  byNameArchVersion,
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
import type { SigningKeyRecord } from '../signing-key-record.js';
import type { TokenRecord } from '../token-record.js';
import { pgStoreError } from './pg-errors.js';
import { ClientSql, isConnectionFault, PoolSql, type Sql } from './pg-sql.js';

/**
 * The one advisory lock every write transaction takes first ('debs', 1): writers of all
 * processes run one at a time, as SQLite's BEGIN IMMEDIATE makes them, so a check made inside
 * a transaction still holds when it writes. Held until COMMIT/ROLLBACK (xact), so a process
 * that dies mid-transaction releases it with its connection.
 */
const DEFERRED_SQL = deferredFilesSql('postgres');

const WRITE_LOCK = 'SELECT pg_advisory_xact_lock(1684366963, 1)';

/** Rows per statement of a bulk write: a mirror commit of 60,000 packages is 12 round trips per step, each well under the 65,535-parameter and memory limits. */
export const CHUNK_ROWS = 5_000;

/** The database's clock as the ISO text SQLite's rows hold (lock expiry must not depend on hosts' clocks). */
const DB_NOW = `to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** int8 (counts, ids, sizes) as a number: every value debstash keeps is below 2^53. */
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format))) as pg.CustomTypesConfig['getTypeParser'],
};

function* chunks<T>(items: readonly T[]): Generator<T[]> {
  for (let i = 0; i < items.length; i += CHUNK_ROWS) yield items.slice(i, i + CHUNK_ROWS);
}

const packageIdentity = (kind: string, name: string, version: string, architecture: string, sha256: string): string =>
  `${kind}\0${name}\0${version}\0${architecture}\0${sha256}`;
const identityOf = (p: PackageEntry): string => packageIdentity(p.kind, p.name, p.version, p.architecture, p.files[0]?.sha256 ?? '');

const MIRROR_COLUMNS = 'm.*, (SELECT count(*) FROM mirror_packages mp WHERE mp.mirror_id = m.id) AS package_count';

/** Reads through a Sql: the pool's (committed state) or a transaction's. */
class PgReader implements StoreReader {
  constructor(protected readonly sql: Sql) {}

  protected async mirrorRow(name: string): Promise<MirrorRow | undefined> {
    return (await this.sql.rows<MirrorRow>(`SELECT ${MIRROR_COLUMNS} FROM mirrors m WHERE m.name = $1`, [name]))[0];
  }

  protected async requireMirror(name: string): Promise<MirrorRow> {
    const row = await this.mirrorRow(name);
    if (row === undefined) throw new DebstashError('DEBSTASH_E_MIRROR_NOT_FOUND', `no mirror named "${name}"`, { mirror: name });
    return row;
  }

  async getMirror(name: string): Promise<MirrorRecord | undefined> {
    const row = await this.mirrorRow(name);
    return row === undefined ? undefined : toMirror(row);
  }

  async listMirrors(): Promise<MirrorRecord[]> {
    return (await this.sql.rows<MirrorRow>(`SELECT ${MIRROR_COLUMNS} FROM mirrors m ORDER BY m.name`)).map(toMirror);
  }

  protected async named<T>(table: 'repos' | 'snapshots', name: string, code: 'DEBSTASH_E_REPO_NOT_FOUND' | 'DEBSTASH_E_SNAPSHOT_NOT_FOUND'): Promise<T & { id: number }> {
    const row = (await this.sql.rows<T & { id: number }>(`SELECT * FROM ${table} WHERE name = $1`, [name]))[0];
    if (row === undefined) throw new DebstashError(code, `no ${table === 'repos' ? 'repo' : 'snapshot'} named "${name}"`, { name });
    return row;
  }

  protected async setOf(origin: SnapshotOrigin): Promise<{ set: PackageSet; id: number }> {
    if (origin.kind === 'mirror') return { set: MIRROR_SET, id: (await this.requireMirror(origin.name)).id };
    if (origin.kind === 'repo') return { set: REPO_SET, id: (await this.named<RepoRow>('repos', origin.name, 'DEBSTASH_E_REPO_NOT_FOUND')).id };
    return { set: SNAPSHOT_SET, id: (await this.named<SnapshotRow>('snapshots', origin.name, 'DEBSTASH_E_SNAPSHOT_NOT_FOUND')).id };
  }

  /**
   * Every package of a mirror, repo or snapshot with its stanza, in package_id order, the
   * lookup and both queries on one state. Stanzas are read at once (SQLite reads them when
   * first used): a PackageEntry's stanza is a synchronous property, and one query for all is
   * far cheaper over a network than one per package.
   */
  #linked(origin: SnapshotOrigin): Promise<PackageEntry[]> {
    return this.sql.consistent(async (sql) => {
      const { set, id } = await new PgReader(sql).setOf(origin);
      const rows = await sql.arrays<RawPackageRow>(
        `SELECT p.id, p.kind, p.name, p.version, p.architecture, p.stanza, l.component
         FROM ${set.table} l JOIN packages p ON p.id = l.package_id WHERE l.${set.owner} = $1 ORDER BY l.package_id`,
        [id],
      );
      const fileRows = await sql.arrays<RawFileRow>(
        `SELECT f.package_id, f.path, f.sha256, f.size FROM ${set.table} l
         JOIN package_files f ON f.package_id = l.package_id WHERE l.${set.owner} = $1 ORDER BY l.package_id, f.seq`,
        [id],
      );
      return mergePackageRows(rows, fileRows);
    });
  }

  /** Sorted in JS with dpkg's version order, which SQL does not know: the same order on both backends. */
  async #sorted(origin: SnapshotOrigin): Promise<PackageEntry[]> {
    return (await this.#linked(origin)).sort(byNameArchVersion);
  }

  mirrorPackages(name: string): Promise<PackageEntry[]> {
    return this.#sorted({ kind: 'mirror', name });
  }

  async mirrorUnresolved(name: string): Promise<UnresolvedDependency[]> {
    const mirror = await this.requireMirror(name);
    return this.sql.rows<UnresolvedDependency>('SELECT package, dependency FROM mirror_unresolved WHERE mirror_id = $1 ORDER BY package, dependency', [mirror.id]);
  }

  async referencedFiles(): Promise<Set<string>> {
    const rows = await this.sql.arrays<[string]>(
      `SELECT DISTINCT f.sha256 FROM package_files f
       WHERE f.package_id IN (SELECT package_id FROM mirror_packages UNION SELECT package_id FROM repo_packages UNION SELECT package_id FROM snapshot_packages)
       UNION SELECT sha256 FROM pool_view`,
    );
    return new Set(rows.map((r) => r[0]));
  }

  async #repo(row: RepoRow): Promise<RepoRecord> {
    return { name: row.name, comment: row.comment, createdAt: row.created_at, packageCount: await this.#count(REPO_SET, row.id) };
  }

  async #snapshot(row: SnapshotRow): Promise<SnapshotRecord> {
    return {
      name: row.name,
      description: row.description,
      createdAt: row.created_at,
      origins: JSON.parse(row.origins) as SnapshotOrigin[],
      packageCount: await this.#count(SNAPSHOT_SET, row.id),
    };
  }

  async #count(set: PackageSet, ownerId: number): Promise<number> {
    return (await this.sql.arrays<[number]>(`SELECT count(*) FROM ${set.table} WHERE ${set.owner} = $1`, [ownerId]))[0]?.[0] ?? 0;
  }

  async getRepo(name: string): Promise<RepoRecord | undefined> {
    const row = (await this.sql.rows<RepoRow>('SELECT * FROM repos WHERE name = $1', [name]))[0];
    return row === undefined ? undefined : this.#repo(row);
  }

  async listRepos(): Promise<RepoRecord[]> {
    return Promise.all((await this.sql.rows<RepoRow>('SELECT * FROM repos ORDER BY name')).map((r) => this.#repo(r)));
  }

  repoPackages(name: string): Promise<PackageEntry[]> {
    return this.#sorted({ kind: 'repo', name });
  }

  async repoPackagesLike(name: string, wanted: readonly PackageSlot[]): Promise<PackageEntry[]> {
    return this.sql.consistent(async (sql) => {
      const repoId = (await new PgReader(sql).named<RepoRow>('repos', name, 'DEBSTASH_E_REPO_NOT_FOUND')).id;
      const found: PackageEntry[] = [];
      for (const part of chunks(wanted)) {
        const rows = await sql.arrays<RawPackageRow>(
          `SELECT DISTINCT p.id, p.kind, p.name, p.version, p.architecture, p.stanza, l.component
           FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS w(kind, name, version, architecture)
           JOIN packages p ON p.kind = w.kind AND p.name = w.name AND p.version = w.version AND p.architecture = w.architecture
           JOIN repo_packages l ON l.package_id = p.id AND l.repo_id = $1
           ORDER BY p.id`,
          [repoId, part.map((w) => w.kind), part.map((w) => w.name), part.map((w) => w.version), part.map((w) => w.architecture)],
        );
        const files = await sql.arrays<RawFileRow>('SELECT package_id, path, sha256, size FROM package_files WHERE package_id = ANY($1::bigint[]) ORDER BY package_id, seq', [
          rows.map((r) => r[0]),
        ]);
        found.push(...mergePackageRows(rows, files));
      }
      // Chunks of `wanted` may find one package twice.
      const unique = new Map(found.map((p) => [identityOf(p), p]));
      return [...unique.values()].sort(byNameArchVersion);
    });
  }

  async getSnapshot(name: string): Promise<SnapshotRecord | undefined> {
    const row = (await this.sql.rows<SnapshotRow>('SELECT * FROM snapshots WHERE name = $1', [name]))[0];
    return row === undefined ? undefined : this.#snapshot(row);
  }

  async listSnapshots(): Promise<SnapshotRecord[]> {
    return Promise.all((await this.sql.rows<SnapshotRow>('SELECT * FROM snapshots ORDER BY created_at, name')).map((r) => this.#snapshot(r)));
  }

  snapshotPackages(name: string): Promise<PackageEntry[]> {
    return this.#sorted({ kind: 'snapshot', name });
  }

  packagesToPublish(source: { readonly kind: 'repo' | 'snapshot'; readonly name: string }): Promise<PackageEntry[]> {
    return this.#linked(source);
  }

  async getPublish(prefix: string, dist: string): Promise<PublishRecord | undefined> {
    const row = (await this.sql.arrays<[string]>('SELECT record FROM publishes WHERE prefix = $1 AND dist = $2', [prefix, dist]))[0];
    return row === undefined ? undefined : (JSON.parse(row[0]) as PublishRecord);
  }

  async listPublishes(): Promise<PublishRecord[]> {
    return (await this.sql.arrays<[string]>('SELECT record FROM publishes ORDER BY prefix, dist')).map((r) => JSON.parse(r[0]) as PublishRecord);
  }

  async listTokens(): Promise<TokenRecord[]> {
    const rows = await this.sql.rows<{ name: string; scope: TokenRecord['scope']; sha256: string; created_at: string }>('SELECT * FROM tokens ORDER BY name');
    return rows.map((r) => ({ name: r.name, scope: r.scope, sha256: r.sha256, createdAt: r.created_at }));
  }

  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    return (await this.sql.rows<KeyRow>(`SELECT ${KEY_COLUMNS} FROM keys ORDER BY fingerprint`)).map(toSigningKey);
  }

  async getSigningKey(fingerprint: string): Promise<SigningKeyRecord | undefined> {
    const row = (await this.sql.rows<KeyRow>(`SELECT ${KEY_COLUMNS} FROM keys WHERE fingerprint = $1`, [fingerprint]))[0];
    return row === undefined ? undefined : toSigningKey(row);
  }

  async defaultSigningKey(): Promise<string | undefined> {
    return (await this.sql.rows<{ value: string }>('SELECT value FROM settings WHERE name = $1', [DEFAULT_KEY_SETTING]))[0]?.value;
  }

  async poolViewFile(prefix: string, path: string): Promise<PoolViewFile | undefined> {
    return (await this.sql.rows<PoolViewFile>('SELECT path, sha256, size FROM pool_view WHERE prefix = $1 AND path = $2', [prefix, path]))[0];
  }

  poolView(prefix: string): Promise<PoolViewFile[]> {
    return this.sql.rows<PoolViewFile>('SELECT path, sha256, size FROM pool_view WHERE prefix = $1 ORDER BY path', [prefix]);
  }

  async onDemandSource(sha256: string): Promise<OnDemandSource | undefined> {
    return (await this.sql.rows<OnDemandSource>(DEFERRED_SQL.source, [sha256]))[0];
  }

  async deferredFiles(): Promise<Map<string, DeferredPolicy>> {
    const rows = await this.sql.arrays<[string, number]>(DEFERRED_SQL.files);
    return new Map(rows.map(([sha256, kept]) => [sha256, kept === 1 ? 'cache-on-serve' : 'on-demand']));
  }

  async getTask(id: string): Promise<TaskRecord | undefined> {
    const row = (await this.sql.rows<TaskRow>('SELECT * FROM tasks WHERE id = $1', [id]))[0];
    return row === undefined ? undefined : toTask(row);
  }

  // Ties of created_at (one millisecond) fall back to the id: PostgreSQL has no insertion order to use.
  async listTasks(limit: number): Promise<TaskRecord[]> {
    return (await this.sql.rows<TaskRow>('SELECT * FROM tasks ORDER BY created_at DESC, id DESC LIMIT $1', [limit])).map(toTask);
  }

  async unfinishedTasks(): Promise<TaskRecord[]> {
    return (await this.sql.rows<TaskRow>("SELECT * FROM tasks WHERE state IN ('queued', 'running') ORDER BY created_at, id")).map(toTask);
  }
}

/** Writes, on the connection of one transaction that holds WRITE_LOCK. */
class PgWriter extends PgReader implements StoreWriter {
  async createMirror(name: string, config: MirrorConfig, createdAt: string): Promise<void> {
    if ((await this.mirrorRow(name)) !== undefined) throw new DebstashError('DEBSTASH_E_MIRROR_EXISTS', `a mirror named "${name}" exists already`, { mirror: name });
    await this.sql.run('INSERT INTO mirrors (name, config, created_at) VALUES ($1, $2, $3)', [name, JSON.stringify(config), createdAt]);
  }

  async setMirrorConfig(name: string, config: MirrorConfig): Promise<void> {
    await this.requireMirror(name);
    await this.sql.run('UPDATE mirrors SET config = $1 WHERE name = $2', [JSON.stringify(config), name]);
  }

  async touchMirror(name: string, sync: MirrorSyncState, updatedAt: string): Promise<void> {
    await this.requireMirror(name);
    await this.sql.run('UPDATE mirrors SET sync = $1, updated_at = $2 WHERE name = $3', [JSON.stringify(sync), updatedAt, name]);
  }

  /**
   * Links packages to a set, storing each package (and its files) once across all sets, a
   * chunk at a time: find the ids of those stored already, insert the rest (and their files),
   * link all. Nothing else writes meanwhile (WRITE_LOCK), so what was found stays true.
   */
  protected async linkPackages(set: PackageSet, ownerId: number, packages: readonly PackageEntry[]): Promise<void> {
    for (const part of chunks(packages)) {
      const keys = part.map(identityOf);
      const col = <T>(f: (p: PackageEntry) => T): T[] => part.map(f);
      const sha = col((p) => p.files[0]?.sha256 ?? '');
      const ids = new Map<string, number>();
      const existing = await this.sql.arrays<[number, string, string, string, string, string]>(
        `SELECT p.id, p.kind, p.name, p.version, p.architecture, p.sha256
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS w(kind, name, version, architecture, sha256)
         JOIN packages p ON p.kind = w.kind AND p.name = w.name AND p.version = w.version AND p.architecture = w.architecture AND p.sha256 = w.sha256`,
        [col((p) => p.kind), col((p) => p.name), col((p) => p.version), col((p) => p.architecture), sha],
      );
      for (const [id, ...key] of existing) ids.set(packageIdentity(...key), id);
      const fresh = new Map<string, PackageEntry>();
      part.forEach((p, i) => {
        const key = keys[i] as string;
        if (!ids.has(key) && !fresh.has(key)) fresh.set(key, p);
      });
      if (fresh.size > 0) {
        const add = [...fresh.values()];
        const inserted = await this.sql.arrays<[number, string, string, string, string, string]>(
          `INSERT INTO packages (kind, name, version, architecture, sha256, stanza)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
           RETURNING id, kind, name, version, architecture, sha256`,
          [add.map((p) => p.kind), add.map((p) => p.name), add.map((p) => p.version), add.map((p) => p.architecture), add.map((p) => p.files[0]?.sha256 ?? ''), add.map((p) => p.stanza)],
        );
        for (const [id, ...key] of inserted) ids.set(packageIdentity(...key), id);
        const files = { id: [] as number[], seq: [] as number[], path: [] as string[], sha256: [] as string[], size: [] as number[] };
        for (const [key, p] of fresh) {
          p.files.forEach((f, seq) => {
            files.id.push(ids.get(key) as number);
            files.seq.push(seq);
            files.path.push(f.path);
            files.sha256.push(f.sha256);
            files.size.push(f.size);
          });
        }
        await this.sql.run(
          'INSERT INTO package_files (package_id, seq, path, sha256, size) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::bigint[])',
          [files.id, files.seq, files.path, files.sha256, files.size],
        );
      }
      await this.sql.run(
        `INSERT INTO ${set.table} (${set.owner}, package_id, component) SELECT $1, * FROM unnest($2::bigint[], $3::text[]) ON CONFLICT DO NOTHING`,
        [ownerId, keys.map((k) => ids.get(k) as number), col((p) => p.component)],
      );
    }
  }

  async replaceMirrorContents(name: string, contents: MirrorContents): Promise<void> {
    const mirror = await this.requireMirror(name);
    await this.sql.run('DELETE FROM mirror_packages WHERE mirror_id = $1', [mirror.id]);
    await this.sql.run('DELETE FROM mirror_unresolved WHERE mirror_id = $1', [mirror.id]);
    await this.linkPackages(MIRROR_SET, mirror.id, contents.packages);
    for (const part of chunks(contents.unresolved)) {
      await this.sql.run('INSERT INTO mirror_unresolved (mirror_id, package, dependency) SELECT $1, * FROM unnest($2::text[], $3::text[])', [
        mirror.id,
        part.map((u) => u.package),
        part.map((u) => u.dependency),
      ]);
    }
    await this.sql.run('UPDATE mirrors SET sync = $1, updated_at = $2 WHERE id = $3', [JSON.stringify(contents.sync), contents.updatedAt, mirror.id]);
  }

  async dropMirror(name: string): Promise<void> {
    await this.sql.run('DELETE FROM mirrors WHERE id = $1', [(await this.requireMirror(name)).id]);
  }

  async createRepo(name: string, comment: string, createdAt: string): Promise<void> {
    if ((await this.getRepo(name)) !== undefined) throw new DebstashError('DEBSTASH_E_REPO_EXISTS', `a repo named "${name}" exists already`, { repo: name });
    await this.sql.run('INSERT INTO repos (name, comment, created_at) VALUES ($1, $2, $3)', [name, comment, createdAt]);
  }

  async addRepoPackages(name: string, packages: readonly PackageEntry[]): Promise<void> {
    await this.linkPackages(REPO_SET, (await this.named<RepoRow>('repos', name, 'DEBSTASH_E_REPO_NOT_FOUND')).id, packages);
  }

  async removeRepoPackages(name: string, packages: readonly PackageEntry[]): Promise<void> {
    const repo = await this.named<RepoRow>('repos', name, 'DEBSTASH_E_REPO_NOT_FOUND');
    for (const part of chunks(packages)) {
      await this.sql.run(
        `DELETE FROM repo_packages l USING packages p, unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS w(kind, name, version, architecture, sha256)
         WHERE l.repo_id = $1 AND l.package_id = p.id
           AND p.kind = w.kind AND p.name = w.name AND p.version = w.version AND p.architecture = w.architecture AND p.sha256 = w.sha256`,
        [repo.id, part.map((p) => p.kind), part.map((p) => p.name), part.map((p) => p.version), part.map((p) => p.architecture), part.map((p) => p.files[0]?.sha256 ?? '')],
      );
    }
  }

  async dropRepo(name: string): Promise<void> {
    await this.sql.run('DELETE FROM repos WHERE id = $1', [(await this.named<RepoRow>('repos', name, 'DEBSTASH_E_REPO_NOT_FOUND')).id]);
  }

  async #newSnapshot(name: string, description: string, origins: readonly SnapshotOrigin[], createdAt: string): Promise<number> {
    if ((await this.sql.rows('SELECT id FROM snapshots WHERE name = $1', [name])).length > 0) {
      throw new DebstashError('DEBSTASH_E_SNAPSHOT_EXISTS', `a snapshot named "${name}" exists already`, { snapshot: name });
    }
    const row = await this.sql.arrays<[number]>('INSERT INTO snapshots (name, description, origins, created_at) VALUES ($1, $2, $3, $4) RETURNING id', [
      name,
      description,
      JSON.stringify(origins),
      createdAt,
    ]);
    return (row[0] as [number])[0];
  }

  async createSnapshot(name: string, description: string, origins: readonly SnapshotOrigin[], packages: readonly PackageEntry[], createdAt: string): Promise<void> {
    await this.linkPackages(SNAPSHOT_SET, await this.#newSnapshot(name, description, origins, createdAt), packages);
  }

  async createSnapshotOfOrigins(name: string, description: string, origins: readonly SnapshotOrigin[], createdAt: string): Promise<void> {
    const id = await this.#newSnapshot(name, description, origins, createdAt);
    for (const origin of origins) {
      const { set, id: ownerId } = await this.setOf(origin);
      await this.sql.run(
        `INSERT INTO snapshot_packages (snapshot_id, package_id, component) SELECT $1, package_id, component FROM ${set.table} WHERE ${set.owner} = $2 ON CONFLICT DO NOTHING`,
        [id, ownerId],
      );
    }
  }

  async dropSnapshot(name: string): Promise<void> {
    await this.sql.run('DELETE FROM snapshots WHERE id = $1', [(await this.named<SnapshotRow>('snapshots', name, 'DEBSTASH_E_SNAPSHOT_NOT_FOUND')).id]);
  }

  async savePublish(record: PublishRecord): Promise<void> {
    await this.sql.run('INSERT INTO publishes (prefix, dist, record) VALUES ($1, $2, $3) ON CONFLICT (prefix, dist) DO UPDATE SET record = EXCLUDED.record', [
      record.prefix,
      record.dist,
      JSON.stringify(record),
    ]);
  }

  async dropPublish(prefix: string, dist: string): Promise<void> {
    await this.sql.run('DELETE FROM publishes WHERE prefix = $1 AND dist = $2', [prefix, dist]);
  }

  async createToken(record: TokenRecord): Promise<void> {
    if ((await this.sql.rows('SELECT name FROM tokens WHERE name = $1', [record.name])).length > 0) {
      throw new DebstashError('DEBSTASH_E_TOKEN_EXISTS', `a token named "${record.name}" exists already`, { token: record.name });
    }
    await this.sql.run('INSERT INTO tokens (name, scope, sha256, created_at) VALUES ($1, $2, $3, $4)', [record.name, record.scope, record.sha256, record.createdAt]);
  }

  async revokeToken(name: string): Promise<void> {
    if ((await this.sql.run('DELETE FROM tokens WHERE name = $1', [name])) === 0) {
      throw new DebstashError('DEBSTASH_E_TOKEN_NOT_FOUND', `no token named "${name}"`, { token: name });
    }
  }

  async addSigningKey(record: SigningKeyRecord): Promise<boolean> {
    return (await this.sql.run(`INSERT INTO keys (${KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (fingerprint) DO NOTHING`, keyColumns(record))) > 0;
  }

  async setDefaultSigningKey(fingerprint: string): Promise<void> {
    await this.sql.run('INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value', [DEFAULT_KEY_SETTING, fingerprint]);
  }

  async putPoolView(prefix: string, files: readonly PoolViewFile[]): Promise<PoolViewChange> {
    const added: string[] = [];
    let replaced = 0;
    let present = 0;
    for (const part of chunks(files)) {
      const old = new Map(
        (await this.sql.arrays<[string, string, number]>('SELECT path, sha256, size FROM pool_view WHERE prefix = $1 AND path = ANY($2::text[])', [prefix, part.map((f) => f.path)])).map(
          ([path, sha256, size]) => [path, { sha256, size }],
        ),
      );
      // In order, as one statement per file would: a path given twice sees its first write.
      const writes = new Map<string, PoolViewFile>();
      for (const f of part) {
        const was = old.get(f.path);
        if (was === undefined) added.push(f.path);
        else if (was.sha256 === f.sha256 && was.size === f.size) {
          present++;
          continue;
        } else replaced++;
        old.set(f.path, { sha256: f.sha256, size: f.size });
        writes.set(f.path, f);
      }
      const w = [...writes.values()];
      if (w.length === 0) continue;
      await this.sql.run(
        `INSERT INTO pool_view (prefix, path, sha256, size) SELECT $1, * FROM unnest($2::text[], $3::text[], $4::bigint[])
         ON CONFLICT (prefix, path) DO UPDATE SET sha256 = EXCLUDED.sha256, size = EXCLUDED.size`,
        [prefix, w.map((f) => f.path), w.map((f) => f.sha256), w.map((f) => f.size)],
      );
    }
    return { added, replaced, present };
  }

  async removePoolView(prefix: string, paths: Iterable<string> | 'all'): Promise<number> {
    if (paths === 'all') return this.sql.run('DELETE FROM pool_view WHERE prefix = $1', [prefix]);
    let n = 0;
    for (const part of chunks([...new Set(paths)])) n += await this.sql.run('DELETE FROM pool_view WHERE prefix = $1 AND path = ANY($2::text[])', [prefix, part]);
    return n;
  }

  async insertTask(t: TaskRecord): Promise<void> {
    await this.sql.run(
      `INSERT INTO tasks (id, kind, resources, state, progress, warnings, result, error, owner_host, owner_pid, owner_id, heartbeat_at, created_at, started_at, finished_at, cancel_requested)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
      [t.id, ...taskColumns(t), t.cancelRequested ? 1 : 0],
    );
  }

  async updateTask(t: TaskRecord): Promise<boolean> {
    const changed = await this.sql.run(
      `UPDATE tasks SET kind = $1, resources = $2, state = $3, progress = $4, warnings = $5, result = $6, error = $7, owner_host = $8, owner_pid = $9, owner_id = $10,
         heartbeat_at = $11, created_at = $12, started_at = $13, finished_at = $14
       WHERE id = $15 AND state IN ('queued', 'running')`,
      [...taskColumns(t), t.id],
    );
    return changed > 0;
  }

  async requestTaskCancel(id: string): Promise<boolean> {
    return (await this.sql.run("UPDATE tasks SET cancel_requested = 1 WHERE id = $1 AND state IN ('queued', 'running')", [id])) > 0;
  }

  async pruneTasks(keep: number): Promise<number> {
    return this.sql.run(
      `DELETE FROM tasks WHERE state NOT IN ('queued', 'running') AND id NOT IN
         (SELECT id FROM tasks WHERE state NOT IN ('queued', 'running') ORDER BY created_at DESC, id DESC LIMIT $1)`,
      [keep],
    );
  }

  /** See Store.tryLock; inside a transaction holding WRITE_LOCK, by the database's clock. */
  async tryLock(resource: string, owner: StoreOwner, ttlMs: number, isDead: (holder: LockRecord) => boolean): Promise<LockAttempt> {
    const now = ((await this.sql.arrays<[string]>(`SELECT ${DB_NOW}`))[0] as [string])[0];
    const row = (await this.sql.rows<LockRow>('SELECT * FROM locks WHERE resource = $1', [resource]))[0];
    if (row !== undefined && !sameOwner(row, owner) && row.expires_at > now && !isDead(toLock(row))) return { acquired: false, holder: toLock(row) };
    const acquired = row !== undefined && sameOwner(row, owner) ? row.acquired_at : now;
    await this.sql.run(
      `INSERT INTO locks (resource, owner_host, owner_pid, owner_id, acquired_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (resource) DO UPDATE SET owner_host = EXCLUDED.owner_host, owner_pid = EXCLUDED.owner_pid, owner_id = EXCLUDED.owner_id,
         acquired_at = EXCLUDED.acquired_at, expires_at = EXCLUDED.expires_at`,
      [resource, owner.host, owner.pid, owner.id, acquired, new Date(Date.parse(now) + ttlMs).toISOString()],
    );
    return { acquired: true };
  }
}

/** Moves a schema to the newest version in one transaction (DDL is transactional here), under WRITE_LOCK. */
async function migrate(client: pg.PoolClient, where: string): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query(WRITE_LOCK);
    await client.query('CREATE TABLE IF NOT EXISTS debstash_schema (version INTEGER NOT NULL)');
    const current = Number((await client.query<{ version: number }>('SELECT version FROM debstash_schema')).rows[0]?.version ?? 0);
    if (current > MIGRATIONS.length) {
      throw new DebstashError('DEBSTASH_E_STORE_VERSION', `${where} has schema version ${current}; this debstash knows up to ${MIGRATIONS.length}`, { store: where, version: current });
    }
    for (let v = current; v < MIGRATIONS.length; v++) await client.query(migrationSql(v, 'postgres'));
    if (current === 0) await client.query('INSERT INTO debstash_schema (version) VALUES ($1)', [MIGRATIONS.length]);
    else await client.query('UPDATE debstash_schema SET version = $1', [MIGRATIONS.length]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/**
 * The scale-out store: PostgreSQL through a small pool of connections. Each write transaction
 * takes WRITE_LOCK first, so writers of every process run one at a time and decisions hold;
 * in this process they also queue in memory, so waiting writers do not take connections the
 * readers need. Reads outside transactions see committed states only; the ones made of several
 * queries run in one REPEATABLE READ READ ONLY transaction.
 */
export class PostgresStore extends ForwardingReader implements Store {
  readonly kind = 'postgres';
  readonly #pool: pg.Pool;
  readonly #reader: PgReader;
  readonly #where: string;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(pool: pg.Pool, where: string) {
    super();
    this.#pool = pool;
    this.#where = where;
    this.#reader = new PgReader(new PoolSql(pool, where));
  }

  get location(): string {
    return this.#where;
  }

  static async open(url: DatabaseUrl): Promise<PostgresStore> {
    const pool = new pg.Pool({ connectionString: url.url, max: 6, connectionTimeoutMillis: 10_000, idleTimeoutMillis: 10_000, types: TYPES, application_name: 'debstash' });
    // An idle connection the server drops must not take the process down; the next query reconnects.
    pool.on('error', () => undefined);
    try {
      const client = await pool.connect();
      try {
        await migrate(client, url.redacted);
      } finally {
        client.release();
      }
      return new PostgresStore(pool, url.redacted);
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw pgStoreError(err, 'cannot open the store', url.redacted);
    }
  }

  transaction<T>(fn: (tx: StoreWriter) => Promise<T>): Promise<T> {
    return this.#write((w) => fn(w));
  }

  #write<T>(fn: (writer: PgWriter) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      let client: pg.PoolClient;
      try {
        client = await this.#pool.connect();
      } catch (err) {
        throw pgStoreError(err, 'cannot start a transaction', this.#where);
      }
      let broken: unknown;
      try {
        // READ COMMITTED (the default), not REPEATABLE READ: each statement then sees what
        // writers before the lock committed; a snapshot taken before the lock was granted would not.
        await client.query('BEGIN');
        await client.query(WRITE_LOCK);
        const result = await fn(new PgWriter(new ClientSql(client)));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        broken = err;
        await client.query('ROLLBACK').catch(() => undefined);
        throw pgStoreError(err, 'transaction failed', this.#where);
      } finally {
        client.release(broken !== undefined && isConnectionFault(broken));
      }
    };
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  tryLock(resource: string, owner: StoreOwner, ttlMs: number, isDead: (holder: LockRecord) => boolean): Promise<LockAttempt> {
    return this.#write((w) => w.tryLock(resource, owner, ttlMs, isDead));
  }

  // One statement each, outside the write queue: a heartbeat is not held up by a long commit.
  async renewLocks(owner: StoreOwner, ttlMs: number): Promise<string[]> {
    const rows = await new PoolSql(this.#pool, this.#where).arrays<[string]>(
      `UPDATE locks SET expires_at = to_char((clock_timestamp() + $4 * interval '1 millisecond') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
       WHERE owner_host = $1 AND owner_pid = $2 AND owner_id = $3 RETURNING resource`,
      [owner.host, owner.pid, owner.id, ttlMs],
    );
    return rows.map((r) => r[0]).sort();
  }

  async unlock(resource: string, owner: StoreOwner): Promise<void> {
    await new PoolSql(this.#pool, this.#where).run('DELETE FROM locks WHERE resource = $1 AND owner_host = $2 AND owner_pid = $3 AND owner_id = $4', [
      resource,
      owner.host,
      owner.pid,
      owner.id,
    ]);
  }

  async listLocks(): Promise<LockRecord[]> {
    return (await new PoolSql(this.#pool, this.#where).rows<LockRow>('SELECT * FROM locks ORDER BY resource')).map(toLock);
  }

  protected get reader(): StoreReader {
    return this.#reader;
  }

  async close(): Promise<void> {
    await this.#queue;
    await this.#pool.end();
  }
}
