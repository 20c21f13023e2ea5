import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Pool } from '../pool/pool.js';
import type { StoreReader } from '../store/store.js';
import { forEachConcurrent } from '../concurrency/for-each-concurrent.js';
import { lockPublisher } from './publish-lock.js';
import { checkDist, checkPrefix } from './publish-names.js';
import { throwIfCancelled } from './publish-error.js';
import { isErrno, listDir, pruneEmptyDirs, removeFile, TreeFiles } from './tree-files.js';

export interface ExportTreeResult {
  /** Pool files linked (or copied) into the export, already there, and removed from it. */
  readonly pool: { readonly placed: number; readonly copied: number; readonly kept: number; readonly removed: number };
  /** Files of dists/ written, already there, and removed. */
  readonly dists: { readonly written: number; readonly kept: number; readonly removed: number };
}

/** Replaced last, InRelease the very last: what apt reads first names only files already there. */
const RELEASE_ORDER = ['Release', 'Release.gpg', 'InRelease'];

/**
 * Materializes the publish at `root/PREFIX/` as a plain tree in `dest` (`dest/dists/...`,
 * `dest/pool/...`), for a web server that knows nothing of the pool view (nginx, a CDN origin,
 * rsync). Pool files are hard links into the content-addressed pool (copies when it is on
 * another filesystem or not local); dists/ files are hard links of the published ones (they
 * are only ever replaced by rename, never rewritten), else copies.
 *
 * Incremental (a file already right is left alone) and in the order that keeps a web server
 * serving `dest` consistent: pool files first, then the indexes and by-hash files, then
 * Release, Release.gpg and InRelease, and only then what no longer belongs (pool files the view
 * does not have, dists files the publish does not have). Runs under the prefix's publish lock,
 * so it copies one whole generation. `dists` limits it to some distributions (default: all of
 * the prefix); the pool is the prefix's whole view either way (what every kept generation of
 * every distribution may ask for).
 */
export async function exportTree(options: {
  readonly root: string;
  readonly prefix: string;
  readonly dest: string;
  readonly dists?: readonly string[];
  readonly store: StoreReader;
  readonly pool: Pool;
  readonly lockWaitMs?: number;
  readonly signal?: AbortSignal;
}): Promise<ExportTreeResult> {
  checkPrefix(options.prefix);
  for (const d of options.dists ?? []) checkDist(d);
  const { signal } = options;
  const prefixDir = join(resolve(options.root), options.prefix);
  const dest = resolve(options.dest);
  const release = await lockPublisher(join(prefixDir, '.debstash'), { waitMs: options.lockWaitMs, signal });
  const files = new TreeFiles(join(dest, '.debstash', 'tmp'));
  try {
    await files.reset();
    const pool = { placed: 0, copied: 0, kept: 0, removed: 0 };
    const view = await options.store.poolView(options.prefix);
    await forEachConcurrent(view, 32, async (f) => {
      throwIfCancelled(signal, 'export');
      const how = await files.placePoolFile(options.pool, f.sha256, f.size, join(dest, f.path));
      if (how === 'present') pool.kept++;
      else if (how === 'copied') pool.copied++;
      else pool.placed++;
    });

    const dists = { written: 0, kept: 0, removed: 0 };
    const names = options.dists ?? (await listDir(join(prefixDir, 'dists'))).filter((d) => !d.startsWith('.'));
    const wanted = new Map<string, Set<string>>();
    for (const dist of names) {
      const from = join(prefixDir, 'dists', dist);
      const all = await publishedFiles(from);
      wanted.set(dist, new Set(all));
      const last = (p: string): number => RELEASE_ORDER.indexOf(p);
      const body = all.filter((p) => last(p) < 0);
      const releases = all.filter((p) => last(p) >= 0).sort((a, b) => last(a) - last(b));
      await forEachConcurrent(body, 8, async (p) => {
        throwIfCancelled(signal, 'export');
        if (await exportFile(files, join(from, p), join(dest, 'dists', dist, p))) dists.written++;
        else dists.kept++;
      });
      for (const p of releases) {
        if (await exportFile(files, join(from, p), join(dest, 'dists', dist, p))) dists.written++;
        else dists.kept++;
      }
    }

    // What no longer belongs, once the new Releases are in place.
    const inView = new Set(view.map((f) => f.path));
    for (const p of await publishedFiles(join(dest, 'pool'))) {
      if (inView.has(`pool/${p}`)) continue;
      if (await removeFile(join(dest, 'pool', p))) pool.removed++;
      await pruneEmptyDirs(dirname(join(dest, 'pool', p)), join(dest, 'pool'));
    }
    const exported = options.dists === undefined ? (await listDir(join(dest, 'dists'))).filter((d) => !d.startsWith('.')) : names;
    for (const dist of exported) {
      const keep = wanted.get(dist) ?? new Set<string>();
      for (const p of await publishedFiles(join(dest, 'dists', dist))) {
        if (keep.has(p)) continue;
        if (await removeFile(join(dest, 'dists', dist, p))) dists.removed++;
        await pruneEmptyDirs(dirname(join(dest, 'dists', dist, p)), join(dest, 'dists'));
      }
    }
    return { pool, dists };
  } finally {
    await rm(join(dest, '.debstash'), { recursive: true, force: true }).catch(() => undefined);
    await release();
  }
}

/** Files under `dir`, relative to it, without the publisher's own `.debstash` directories. */
async function publishedFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, rel: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch (err) {
      if (isErrno(err, 'ENOENT', 'ENOTDIR')) return;
      throw err;
    }
    for (const e of entries) {
      if (e.name === '.debstash') continue;
      const path = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) await walk(join(d, e.name), path);
      else out.push(path);
    }
  };
  await walk(dir, '');
  return out;
}

/** Puts the published file `src` at `dest` unless it is there already; whether it wrote. */
async function exportFile(files: TreeFiles, src: string, dest: string): Promise<boolean> {
  const [a, b] = await Promise.all([stat(src), stat(dest).catch(() => undefined)]);
  if (b !== undefined && a.ino === b.ino && a.dev === b.dev) return false;
  try {
    await files.linkOver(src, dest);
  } catch {
    // Another filesystem: a copy, unless the one there has the same bytes.
    const bytes = await readFile(src);
    if (b !== undefined && b.size === a.size && bytes.equals(await readFile(dest))) return false;
    await files.write(dest, bytes);
  }
  return true;
}
