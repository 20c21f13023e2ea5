import type { MirrorConfig } from '../model/mirror-config.js';

export type PackageKind = 'deb' | 'udeb' | 'source';

/** One file of a package, as its index names it; the pool holds it by SHA-256. */
export interface PackageFile {
  /** Path relative to the archive root for binaries (`Filename`), file name for sources. */
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
}

/**
 * A package as an index describes it. Identity is (kind, name, version, architecture, first
 * file's SHA-256): two archives that ship the same version with different bytes stay apart.
 */
export interface PackageRecord {
  readonly kind: PackageKind;
  readonly name: string;
  readonly version: string;
  readonly architecture: string;
  /** The index paragraph as the upstream wrote it (serialized deb822). */
  readonly stanza: string;
  /** A binary has one file (the .deb); a source package its .dsc and tarballs. */
  readonly files: readonly PackageFile[];
}

/** A package inside a mirror, repo or snapshot: the record plus where it sits. */
export interface PackageEntry extends PackageRecord {
  readonly component: string;
}

/** What the last successful update saw upstream, for the no-change fast path. */
export interface MirrorSyncState {
  readonly releaseSha256: string;
  /** Which file the Release came from, so a conditional GET asks the same one again. */
  readonly via?: 'InRelease' | 'Release';
  readonly etag?: string;
  readonly lastModified?: string;
  /** Release's own Date and Valid-Until (ISO): an unchanged but expired Release is refused. */
  readonly date?: string;
  readonly validUntil?: string;
  /** Hash of the mirror config the contents were selected with: an edit forces re-selection. */
  readonly configHash?: string;
}

export interface UnresolvedDependency {
  readonly package: string;
  readonly dependency: string;
}

export interface MirrorRecord {
  readonly name: string;
  readonly config: MirrorConfig;
  readonly createdAt: string;
  /** When the last update committed; absent before the first. */
  readonly updatedAt?: string;
  readonly sync?: MirrorSyncState;
  readonly packageCount: number;
}

/** What one committed mirror update replaces, all at once. */
export interface MirrorContents {
  readonly packages: readonly PackageEntry[];
  readonly unresolved: readonly UnresolvedDependency[];
  readonly sync: MirrorSyncState;
  readonly updatedAt: string;
}
