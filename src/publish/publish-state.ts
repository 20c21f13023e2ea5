import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseRelease } from '../deb/release.js';
import type { FileDigest } from './release-text.js';
import { isErrno, listDir, removeFile, type TreeFiles } from './tree-files.js';

/*
 * What a distribution's publisher remembers between publishes, in `dists/DIST/.debstash/`
 * (beside the tree it describes, so dropping the distribution drops it too):
 *
 *   state.json          the generations still served (newest last), a pending one, and the
 *                       garbage: generations no longer served whose files are still to remove
 *   pool-<sha256>.json  the pool paths a generation refers to ([path, sha256, size], sorted),
 *                       named by their content so that generations with the same files share one
 *                       (the server answers pool paths from the store's view, not from these)
 *
 * (The lock and the temporary files of a running publish are in `PREFIX/.debstash/`.)
 *
 * Nothing here is needed to serve the tree; it only makes the next publish incremental and lets
 * it remove what no generation still in use refers to.
 */

/** Where, in the generation's compressed indexes, one chunk's compressed bytes are. */
export interface ChunkRecord {
  /** SHA-256 of the chunk's uncompressed bytes. */
  readonly h: string;
  /** Uncompressed size. */
  readonly n: number;
  /** [offset, length] of its gzip member in INDEX.gz. */
  readonly gz: readonly [number, number];
  /** [offset, length] of its blocks in INDEX.xz, and their index records [unpadded, uncompressed]. */
  readonly xz: readonly [number, number];
  readonly r: readonly (readonly [number, number])[];
}

export interface Generation {
  readonly id: number;
  /** The Release's Date, ISO 8601. */
  readonly date: string;
  readonly releaseSha256: string;
  /** Every file the Release lists, by path relative to `dists/DIST/`. */
  readonly files: Readonly<Record<string, FileDigest>>;
  /** How chunks were compressed (reuse needs the same), e.g. `gz9.xz3`. */
  readonly codec: string;
  /** Chunk maps of the uncompressed indexes, by path (a few hundred bytes per index). */
  readonly chunks: Readonly<Record<string, readonly ChunkRecord[]>>;
  /** Name of its pool listing; null when unknown (a tree this publisher did not write). */
  readonly pool: string | null;
  /**
   * Its pool paths are in the store's pool view. Absent for generations published before
   * the view, whose pool was a tree of hard links on disk.
   */
  readonly view?: boolean;
  /** SHA-256 of the uncompressed text of each Contents-ARCH.gz it lists, by path (reuse needs it). */
  readonly contents?: Readonly<Record<string, string>>;
}

export interface PublishState {
  readonly version: 1;
  /** Oldest first; the last is what `Release` serves. */
  readonly generations: readonly Generation[];
  /** Written before anything of a publish is placed; resolved by the next publish. */
  readonly pending: Generation | null;
  /**
   * Generations out of use (left the window, or abandoned by a publish that died) whose files
   * are removed once nothing kept refers to them; carried over until that is done, so that a
   * crash between the switch and the clean-up forgets nothing.
   */
  readonly garbage: readonly Generation[];
}

export const EMPTY_STATE: PublishState = { version: 1, generations: [], pending: null, garbage: [] };

export function stateDirOf(distDir: string): string {
  return join(distDir, '.debstash');
}

function isGeneration(g: unknown): g is Generation {
  const x = g as Generation;
  return (
    typeof x === 'object' && x !== null && Number.isInteger(x.id) && typeof x.releaseSha256 === 'string' && typeof x.date === 'string' &&
    typeof x.files === 'object' && x.files !== null && typeof x.chunks === 'object' && x.chunks !== null && typeof x.codec === 'string' &&
    (x.pool === null || typeof x.pool === 'string')
  );
}

/** The state, or EMPTY_STATE with `damaged` when it is missing parts or unreadable. */
export async function readState(distDir: string): Promise<{ state: PublishState; damaged: boolean }> {
  let text: string;
  try {
    text = await readFile(join(stateDirOf(distDir), 'state.json'), 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return { state: EMPTY_STATE, damaged: false };
    throw err;
  }
  return parseState(text);
}

/** A state.json's text (read from disk or from the bucket), or EMPTY_STATE with `damaged` when it is missing parts or unreadable. */
export function parseState(text: string): { state: PublishState; damaged: boolean } {
  try {
    const read = JSON.parse(text) as PublishState;
    // `garbage` came after the first version of this file; without it, there is none.
    const s: PublishState = { ...read, garbage: read.garbage ?? [] };
    if (
      s.version === 1 &&
      Array.isArray(s.generations) &&
      s.generations.every(isGeneration) &&
      (s.pending === null || isGeneration(s.pending)) &&
      Array.isArray(s.garbage) &&
      s.garbage.every(isGeneration)
    ) {
      return { state: s, damaged: false };
    }
  } catch {
    // fall through
  }
  return { state: EMPTY_STATE, damaged: true };
}

export async function writeState(distDir: string, state: PublishState, files: TreeFiles): Promise<void> {
  await files.write(join(stateDirOf(distDir), 'state.json'), JSON.stringify(state), true);
}

export type PoolListing = ReadonlyMap<string, { readonly sha256: string; readonly size: number }>;

/** Writes a pool listing (unless one with that content exists) and returns its name. */
export async function writePoolListing(distDir: string, pool: PoolListing, files: TreeFiles): Promise<string> {
  const rows = [...pool.entries()].map(([path, f]) => [path, f.sha256, f.size] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const text = JSON.stringify(rows);
  const name = `pool-${createHash('sha256').update(text).digest('hex')}.json`;
  const path = join(stateDirOf(distDir), name);
  // Named by its content: one that exists holds this.
  const exists = await stat(path).then(
    (st) => st.size === Buffer.byteLength(text),
    () => false,
  );
  if (!exists) await files.write(path, text, true);
  return name;
}

/** A pool listing by name; undefined when it is missing or unreadable. */
export async function readPoolListing(distDir: string, name: string): Promise<Map<string, { sha256: string; size: number }> | undefined> {
  if (!/^pool-[0-9a-f]{64}\.json$/.test(name)) return undefined;
  try {
    const rows = JSON.parse(await readFile(join(stateDirOf(distDir), name), 'utf8')) as [string, string, number][];
    return new Map(rows.map(([path, sha256, size]) => [path, { sha256, size }]));
  } catch {
    return undefined;
  }
}

/** Removes the pool listings no generation names. */
export async function removeUnusedListings(distDir: string, used: ReadonlySet<string>): Promise<void> {
  for (const name of await listDir(stateDirOf(distDir))) {
    if (/^pool-[0-9a-f]{64}\.json$/.test(name) && !used.has(name)) await removeFile(join(stateDirOf(distDir), name));
  }
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The generations still to count as served, given the Release text served now (InRelease's):
 * a pending generation whose Release is served was committed (the process died after the
 * switch); one whose Release is not was abandoned and joins the garbage. A served Release that
 * no generation describes (written by another tool, or state lost) becomes a generation of its
 * own, known only by the sums it lists.
 */
export function reconcile(state: PublishState, served: string | undefined): { generations: Generation[]; garbage: Generation[] } {
  const generations = [...state.generations];
  const garbage = [...state.garbage];
  const servedSha = served === undefined ? undefined : sha256Hex(served);
  if (state.pending !== null) {
    if (state.pending.releaseSha256 === servedSha) generations.push(state.pending);
    else garbage.push(state.pending);
  }
  if (served !== undefined && servedSha !== undefined && generations.at(-1)?.releaseSha256 !== servedSha) {
    const foreign = foreignGeneration(served, servedSha, Math.max(0, ...generations.map((g) => g.id), ...garbage.map((g) => g.id)) + 1);
    if (foreign !== undefined) generations.push(foreign);
  }
  return { generations, garbage };
}

function foreignGeneration(text: string, sha: string, id: number): Generation | undefined {
  try {
    const release = parseRelease(text, { source: 'the served Release' });
    const files: Record<string, FileDigest> = {};
    for (const e of release.sha256.values()) files[e.path] = { size: e.size, sha256: e.sha256, sha512: '', md5: '' };
    return { id, date: release.date.toISOString(), releaseSha256: sha, files, codec: '', chunks: {}, pool: null };
  } catch {
    return undefined;
  }
}
