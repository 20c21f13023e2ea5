import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { forEachConcurrent } from '../concurrency/for-each-concurrent.js';
import type { Store } from '../store/store.js';
import { readPoolListing, readState, type Generation } from './publish-state.js';
import { listDir, pruneEmptyDirs, removeFile } from './tree-files.js';

export interface GarbageReport {
  /** by-hash files no kept generation lists. */
  readonly byHashRemoved: number;
  /** Plainly named indexes the current generation no longer has. */
  readonly indexesRemoved: number;
  /** Pool paths no kept generation of any distribution of the prefix refers to (taken out of the view). */
  readonly poolRemoved: number;
  /** Why pool files were not looked at, when they were not. */
  readonly poolSkipped?: string;
}

const HEX = /^[0-9a-f]{64}(?:[0-9a-f]{64})?$/;

function dirOf(path: string): string {
  return path.includes('/') ? dirname(path) : '.';
}

/** For each index directory, the by-hash names (`SHA256/<hash>`, `SHA512/<hash>`) the generations list. */
export function byHashNames(generations: readonly Generation[]): Map<string, Set<string>> {
  const keep = new Map<string, Set<string>>();
  for (const g of generations) {
    for (const [path, f] of Object.entries(g.files)) {
      const dir = dirOf(path);
      let set = keep.get(dir);
      if (set === undefined) keep.set(dir, (set = new Set()));
      set.add(`SHA256/${f.sha256}`);
      if (f.sha512 !== '') set.add(`SHA512/${f.sha512}`);
    }
  }
  return keep;
}

/**
 * After a new Release is in place: removes by-hash files (SHA256/ and SHA512/) that none of the `kept` generations
 * lists (so a client holding any of their InReleases still finds every index), plainly named
 * indexes the current generation does not have, and pool paths that no kept generation of any
 * distribution of this prefix refers to (from the store's view; and from disk, where a
 * publish from before the view left a tree). `dropped` are the generations out of use (the state's
 * garbage): their files are the candidates. Safe to run again on the same input.
 */
export async function collectGarbage(options: {
  readonly store: Store;
  readonly prefix: string;
  readonly prefixDir: string;
  readonly distDir: string;
  readonly dist: string;
  readonly kept: readonly Generation[];
  readonly dropped: readonly Generation[];
}): Promise<GarbageReport> {
  const { prefixDir, distDir, kept, dropped } = options;
  const current = kept.at(-1);
  const keep = byHashNames(kept);
  const dirs = new Set([...keep.keys(), ...byHashNames(dropped).keys()]);
  let byHashRemoved = 0;
  for (const dir of dirs) {
    const names = keep.get(dir) ?? new Set<string>();
    for (const algorithm of ['SHA256', 'SHA512']) {
      const byHash = join(distDir, dir, 'by-hash', algorithm);
      for (const name of await listDir(byHash)) {
        if (!names.has(`${algorithm}/${name}`) && HEX.test(name)) {
          if (await removeFile(join(byHash, name))) byHashRemoved++;
        }
      }
    }
  }

  let indexesRemoved = 0;
  const now = new Set(Object.keys(current?.files ?? {}));
  for (const g of [...kept, ...dropped]) {
    for (const path of Object.keys(g.files)) {
      if (now.has(path)) continue;
      now.add(path); // once
      if (await removeFile(join(distDir, path))) indexesRemoved++;
    }
  }
  for (const dir of dirs) {
    if (keep.has(dir)) continue;
    await pruneEmptyDirs(join(distDir, dir, 'by-hash', 'SHA512'), distDir);
    await pruneEmptyDirs(join(distDir, dir, 'by-hash', 'SHA256'), distDir);
  }

  const pool = await poolGarbage(options.store, options.prefix, prefixDir, distDir, options.dist, kept, dropped);
  return { byHashRemoved, indexesRemoved, ...pool };
}

async function poolGarbage(
  store: Store,
  prefix: string,
  prefixDir: string,
  distDir: string,
  dist: string,
  kept: readonly Generation[],
  dropped: readonly Generation[],
): Promise<{ poolRemoved: number; poolSkipped?: string }> {
  const candidates = new Set<string>();
  for (const g of dropped) {
    if (g.pool === null) continue;
    const listing = await readPoolListing(distDir, g.pool);
    for (const path of listing?.keys() ?? []) candidates.add(path);
  }
  if (candidates.size === 0) return { poolRemoved: 0 };

  const referenced = async (dir: string, generations: readonly Generation[]): Promise<string | undefined> => {
    for (const g of generations) {
      if (g.pool === null) return `${dir} serves a Release this publisher did not write`;
      const listing = await readPoolListing(dir, g.pool);
      if (listing === undefined) return `the pool listing ${g.pool} of ${dir} is missing`;
      for (const path of listing.keys()) candidates.delete(path);
    }
    return undefined;
  };
  let skipped = await referenced(distDir, kept);
  if (skipped === undefined) {
    for (const other of await listDir(join(prefixDir, 'dists'))) {
      if (other === dist) continue;
      const otherDir = join(prefixDir, 'dists', other);
      const { state, damaged } = await readState(otherDir);
      if (damaged) skipped = `the publish state of ${otherDir} is damaged`;
      else if (state.generations.length === 0 && (await listDir(otherDir)).length > 0) skipped = `${otherDir} was not published by debstash`;
      else skipped = await referenced(otherDir, [...state.generations, ...(state.pending ? [state.pending] : [])]);
      if (skipped !== undefined) break;
    }
  }
  if (skipped !== undefined) return { poolRemoved: 0, poolSkipped: skipped };

  const poolRemoved = await store.transaction((tx) => tx.removePoolView(prefix, candidates));
  const legacyTree = await stat(join(prefixDir, 'pool')).then((st) => st.isDirectory(), () => false);
  if (legacyTree) {
    await forEachConcurrent(candidates, 16, async (path) => {
      const file = join(prefixDir, path);
      await removeFile(file);
      await pruneEmptyDirs(dirname(file), join(prefixDir, 'pool'));
    });
  }
  return { poolRemoved };
}
