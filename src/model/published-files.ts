import { join } from 'node:path';
import type { FileHash } from '../files/hash-file.js';
import { byHashPaths } from '../publish/by-hash-paths.js';
import { readState, stateDirOf, type Generation } from '../publish/publish-state.js';
import type { Context } from './context.js';
import { compareHash, type DbProblem } from './db-problem.js';

/** A file of a published tree and what the publish that wrote it says it must be. */
export interface PublishedFile {
  /** Where it is: an absolute path in the data dir's public/ tree, or an object's path in the bucket's. */
  readonly path: string;
  readonly sha256: string;
  /** Absent where the publisher remembers only the hash (Release). */
  readonly size?: number;
  /**
   * For a plainly named index: what the same name held in the older generations still kept.
   * A plain name holding one of those is stale (a publish stopped between its switch and
   * relinking the plain names), not damaged: running the publish again relinks it.
   */
  readonly older?: readonly { readonly sha256: string; readonly size: number }[];
}

export interface PublishedFiles {
  readonly files: PublishedFile[];
  /** State files of publishes that could not be read: their trees cannot be checked. */
  readonly unreadableStates: string[];
}

/**
 * Every file the publishes in the store refer to: the plainly named indexes and Release of what
 * each serves (its newest generation), and the by-hash names of every generation it keeps
 * (clients holding an older InRelease still fetch those). InRelease and Release.gpg are signed
 * text whose hash nobody recorded; apt checks their signature itself.
 */
export async function listPublishedFiles(ctx: Context): Promise<PublishedFiles> {
  const files = new Map<string, PublishedFile>();
  const unreadableStates: string[] = [];
  for (const p of await ctx.store.listPublishes()) {
    const distDir = join(ctx.publicDir, p.prefix, 'dists', p.dist);
    const { state, damaged } = await readState(distDir);
    if (damaged) {
      unreadableStates.push(join(stateDirOf(distDir), 'state.json'));
      continue;
    }
    for (const f of filesOfGenerations(distDir, state.generations)) if (!files.has(f.path)) files.set(f.path, f);
  }
  return { files: [...files.values()].sort((a, b) => (a.path < b.path ? -1 : 1)), unreadableStates };
}

/**
 * The files of one dist at `distDir` (a directory, or a path in the bucket) whose kept
 * generations are `generations` (oldest first, the last served): see listPublishedFiles.
 */
export function filesOfGenerations(distDir: string, generations: readonly Generation[]): PublishedFile[] {
  const served = generations.at(-1);
  if (served === undefined) return [];
  const files: PublishedFile[] = [{ path: join(distDir, 'Release'), sha256: served.releaseSha256 }];
  for (const [path, digest] of Object.entries(served.files)) {
    const older = generations.flatMap((g) => {
      const d = g === served ? undefined : g.files[path];
      return d === undefined || d.sha256 === digest.sha256 ? [] : [{ sha256: d.sha256, size: d.size }];
    });
    files.push({ path: join(distDir, path), sha256: digest.sha256, size: digest.size, ...(older.length > 0 ? { older } : {}) });
  }
  // Generations of a tree this publisher did not write (codec '') may lack by-hash files.
  for (const g of generations) {
    if (g.codec === '') continue;
    for (const [path, digest] of Object.entries(g.files)) {
      const byHash = byHashPaths(distDir, path, digest);
      files.push({ path: byHash.sha256, sha256: digest.sha256, size: digest.size });
      if (digest.sha512 !== '') files.push({ path: byHash.sha512, sha256: digest.sha256, size: digest.size });
    }
  }
  return files;
}

/** A published file found with `size` (the fast check), named `name`: undefined when that is its size. */
export function publishedSizeProblem(f: PublishedFile, name: string, size: number): DbProblem | undefined {
  if (f.size === undefined || size === f.size) return undefined;
  // By size alone: --deep tells stale from damaged by the hash.
  const stale = f.older?.some((o) => o.size === size) === true;
  return { kind: stale ? 'published-stale' : 'published-size', path: name, expected: `size:${f.size}`, found: `size:${size}` };
}

/** A published file read whole (`--deep`), named `name`: undefined when its bytes are the listed ones. */
export function publishedHashProblem(f: PublishedFile, name: string, found: FileHash): DbProblem | undefined {
  const problem = compareHash({ size: 'published-size', hash: 'published-hash' }, name, f, found);
  const stale = problem !== undefined && f.older?.some((o) => o.sha256 === found.sha256) === true;
  return stale ? { kind: 'published-stale', path: name, expected: `sha256:${f.sha256}`, found: `sha256:${found.sha256}` } : problem;
}
