import type { FileHash } from '../files/hash-file.js';

/**
 * What `db check` (fast, metadata and sizes) and `db check --deep` (every byte re-hashed) say
 * is wrong, in one shape so that scripts read both the same way.
 *
 * - `pool-missing`: the store refers to a pool file the pool lacks.
 * - `pool-size`: a pool file's size is not the one the store recorded.
 * - `pool-hash`: a pool file's bytes do not hash to the SHA-256 it is stored under.
 * - `published-missing`: a file the served Release (or a kept generation's by-hash) lists is absent.
 * - `published-size`: a published file's size is not the one its Release lists.
 * - `published-hash`: a published file's bytes do not hash to the SHA-256 its Release lists.
 * - `published-stale`: a plainly named index still holds what an older kept generation listed
 *   there (a publish stopped after its switch, before relinking plain names; clients using
 *   by-hash are not affected). Running the publish again (`publish update`) relinks it.
 * - `published-signature`: a publish's InRelease (or Release.gpg) in the bucket does not
 *   verify with the publish's signing key, as apt would judge it (S3 storage).
 * - `unreadable`: the file exists but could not be read (permissions, I/O error).
 */
export type DbProblemKind = 'pool-missing' | 'pool-size' | 'pool-hash' | 'published-missing' | 'published-size' | 'published-hash' | 'published-stale' | 'published-signature' | 'unreadable';

export interface DbProblem {
  readonly kind: DbProblemKind;
  /** The file on disk (or the pool's SHA-256 where the pool has no local path). */
  readonly path: string;
  /** What the store or the Release says: `sha256:HEX`, `size:N` or `present`. */
  readonly expected: string;
  /** What is there: `sha256:HEX`, `size:N`, `absent` or the errno. */
  readonly found: string;
}

/** A file read whole, compared with what it must be: undefined when it matches, else the problem. */
export function compareHash(kinds: { readonly size: DbProblemKind; readonly hash: DbProblemKind }, path: string, expected: { readonly sha256: string; readonly size?: number }, found: FileHash): DbProblem | undefined {
  if (expected.size !== undefined && found.size !== expected.size) return { kind: kinds.size, path, expected: `size:${expected.size}`, found: `size:${found.size}` };
  if (found.sha256 !== expected.sha256) return { kind: kinds.hash, path, expected: `sha256:${expected.sha256}`, found: `sha256:${found.sha256}` };
  return undefined;
}

/** Problems in a stable order (by path, then kind), so two runs over the same damage print the same. */
export function sortProblems(problems: DbProblem[]): DbProblem[] {
  return problems.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0));
}

/** One line of `db check` output. */
export function describeProblem(p: DbProblem): string {
  return `${p.kind} ${p.path}: expected ${p.expected}, found ${p.found}`;
}
