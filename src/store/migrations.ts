/**
 * Schema history of the store, written once in SQLite's dialect and translated for PostgreSQL
 * by `migrationSql`. Each entry moves the schema one version up; the index + 1 is the version
 * it reaches (SQLite: PRAGMA user_version; PostgreSQL: the debstash_schema table). Never edit
 * a released entry: add a new one.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE mirrors (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    config TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT,
    sync TEXT
  );
  CREATE TABLE packages (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    architecture TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    stanza TEXT NOT NULL,
    UNIQUE (kind, name, version, architecture, sha256)
  );
  CREATE TABLE package_files (
    package_id INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    PRIMARY KEY (package_id, seq)
  );
  CREATE INDEX package_files_sha256 ON package_files (sha256);
  CREATE TABLE mirror_packages (
    mirror_id INTEGER NOT NULL REFERENCES mirrors(id) ON DELETE CASCADE,
    package_id INTEGER NOT NULL REFERENCES packages(id),
    component TEXT NOT NULL,
    PRIMARY KEY (mirror_id, package_id)
  );
  CREATE INDEX mirror_packages_package ON mirror_packages (package_id);
  CREATE TABLE mirror_unresolved (
    mirror_id INTEGER NOT NULL REFERENCES mirrors(id) ON DELETE CASCADE,
    package TEXT NOT NULL,
    dependency TEXT NOT NULL
  );
  `,
  `
  CREATE TABLE repos (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    comment TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE TABLE repo_packages (
    repo_id INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
    package_id INTEGER NOT NULL REFERENCES packages(id),
    component TEXT NOT NULL,
    PRIMARY KEY (repo_id, package_id)
  );
  CREATE INDEX repo_packages_package ON repo_packages (package_id);
  CREATE TABLE snapshots (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    origins TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE TABLE snapshot_packages (
    snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
    package_id INTEGER NOT NULL REFERENCES packages(id),
    component TEXT NOT NULL,
    PRIMARY KEY (snapshot_id, package_id)
  );
  CREATE INDEX snapshot_packages_package ON snapshot_packages (package_id);
  CREATE TABLE publishes (
    prefix TEXT NOT NULL,
    dist TEXT NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (prefix, dist)
  );
  `,
  `
  CREATE TABLE tokens (
    name TEXT PRIMARY KEY,
    scope TEXT NOT NULL,
    sha256 TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
  );
  `,
  `
  -- The published pool/ of each prefix as a view of the content-addressed pool: what a file
  -- tree of hard links used to be, one row per published path. Rows change only where a
  -- publish changes the tree (rows for new paths, removed with the last generation using them).
  CREATE TABLE pool_view (
    prefix TEXT NOT NULL,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    PRIMARY KEY (prefix, path)
  ) WITHOUT ROWID;
  `,
  `
  -- Coordination between processes sharing the store (issue 13). A lock is a row: its holder
  -- renews expires_at while it works, and a row past it (or of a dead pid on this host) is
  -- taken over. A task is a row every process reads; its owner renews heartbeat_at.
  CREATE TABLE locks (
    resource TEXT PRIMARY KEY,
    owner_host TEXT NOT NULL,
    owner_pid INTEGER NOT NULL,
    owner_id TEXT NOT NULL,
    acquired_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE tasks (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    resources TEXT NOT NULL,
    state TEXT NOT NULL,
    progress TEXT,
    warnings TEXT NOT NULL,
    result TEXT,
    error TEXT,
    owner_host TEXT NOT NULL,
    owner_pid INTEGER NOT NULL,
    owner_id TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT
  );
  CREATE INDEX tasks_created ON tasks (created_at);
  CREATE INDEX tasks_unfinished ON tasks (state) WHERE state IN ('queued', 'running');
  `,
  // 6 (issue 12): what a publish lists of each package, without the stanza that fills the
  // rows' pages: listing 20,000 packages reads this small index instead of ~14 MB of rows.
  `
  CREATE INDEX packages_listing ON packages (id, kind, name, version, architecture);
  `,
];

export type SqlDialect = 'sqlite' | 'postgres';

/**
 * Migration `index` in `dialect`. The PostgreSQL translation is small on purpose, so one
 * history serves both: an INTEGER key becomes an identity column, every other INTEGER a
 * BIGINT (file sizes pass 2 GiB), TEXT compares bytewise (COLLATE "C") so that ORDER BY
 * name sorts as SQLite's BINARY does, and WITHOUT ROWID (a SQLite storage choice) goes.
 */
export function migrationSql(index: number, dialect: SqlDialect): string {
  const sql = MIGRATIONS[index];
  if (sql === undefined) throw new Error(`internal: no migration ${index}`);
  if (dialect === 'sqlite') return sql;
  return sql
    .replace(/\bINTEGER PRIMARY KEY\b/g, 'BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY')
    .replace(/\bINTEGER\b/g, 'BIGINT')
    .replace(/\bTEXT\b/g, 'TEXT COLLATE "C"')
    .replace(/\)\s*WITHOUT ROWID/g, ')');
}
