/**
 * Schema history of the embedded store. Each entry moves the schema one version up; the
 * index + 1 is the version it reaches (kept in PRAGMA user_version). Never edit a released
 * entry: add a new one.
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
  // 4 (issue 12): what a publish lists of each package, without the stanza that fills the
  // rows' pages: listing 20,000 packages reads this small index instead of ~14 MB of rows.
  `
  CREATE INDEX packages_listing ON packages (id, kind, name, version, architecture);
  `,
];
