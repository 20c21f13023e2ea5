import { join } from 'node:path';
import { byHashPaths } from '../publish/by-hash-paths.js';
import { readState, stateDirOf } from '../publish/publish-state.js';
import type { Context } from './context.js';

/** A file of a published tree and what the publish that wrote it says it must be. */
export interface PublishedFile {
  /** Absolute path in the data dir's public/ tree. */
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
  const add = (f: PublishedFile): void => {
    if (!files.has(f.path)) files.set(f.path, f);
  };
  for (const p of await ctx.store.listPublishes()) {
    const distDir = join(ctx.publicDir, p.prefix, 'dists', p.dist);
    const { state, damaged } = await readState(distDir);
    if (damaged) {
      unreadableStates.push(join(stateDirOf(distDir), 'state.json'));
      continue;
    }
    const served = state.generations.at(-1);
    if (served === undefined) continue;
    add({ path: join(distDir, 'Release'), sha256: served.releaseSha256 });
    for (const [path, digest] of Object.entries(served.files)) {
      const older = state.generations.flatMap((g) => {
        const d = g === served ? undefined : g.files[path];
        return d === undefined || d.sha256 === digest.sha256 ? [] : [{ sha256: d.sha256, size: d.size }];
      });
      add({ path: join(distDir, path), sha256: digest.sha256, size: digest.size, ...(older.length > 0 ? { older } : {}) });
    }
    // Generations of a tree this publisher did not write (codec '') may lack by-hash files.
    for (const g of state.generations) {
      if (g.codec === '') continue;
      for (const [path, digest] of Object.entries(g.files)) {
        const byHash = byHashPaths(distDir, path, digest);
        add({ path: byHash.sha256, sha256: digest.sha256, size: digest.size });
        add({ path: byHash.sha512, sha256: digest.sha256, size: digest.size });
      }
    }
  }
  return { files: [...files.values()].sort((a, b) => (a.path < b.path ? -1 : 1)), unreadableStates };
}
