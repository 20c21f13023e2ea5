import { readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { splitClearsigned } from '../deb/clearsigned.js';
import type { Store } from '../store/store.js';
import { lockPublisher } from './publish-lock.js';
import { checkDist, checkPrefix } from './publish-names.js';
import { throwIfCancelled } from './publish-error.js';
import { readState, reconcile } from './publish-state.js';
import { collectGarbage } from './retention.js';
import { listDir, pruneEmptyDirs, removeFile } from './tree-files.js';

export interface UnpublishResult {
  /** Something was published there. */
  readonly removed: boolean;
  /** Pool paths of the prefix no other distribution refers to, taken out of the view. */
  readonly poolRemoved: number;
  /** Why pool files were left, when they were (see GarbageReport). */
  readonly poolSkipped?: string;
}

/**
 * Removes what publishTree published at `root/PREFIX/dists/DIST`: first InRelease, Release and
 * Release.gpg (so clients stop seeing it at once), then the indexes, then the pool paths no
 * other distribution of the prefix refers to. A prefix left with no distribution loses its
 * whole pool view and its directory.
 */
export async function unpublishTree(options: {
  readonly root: string;
  readonly prefix: string;
  readonly dist: string;
  /** Where the pool view is (see publishTree). */
  readonly store: Store;
  readonly lockWaitMs?: number;
  readonly signal?: AbortSignal;
}): Promise<UnpublishResult> {
  checkPrefix(options.prefix);
  checkDist(options.dist);
  throwIfCancelled(options.signal, 'unpublish');
  const root = resolve(options.root);
  const prefixDir = join(root, options.prefix);
  const distDir = join(prefixDir, 'dists', options.dist);
  if ((await listDir(distDir)).length === 0) return { removed: false, poolRemoved: 0 };
  const release = await lockPublisher(join(prefixDir, '.debstash'), { waitMs: options.lockWaitMs, signal: options.signal });
  try {
    const { state, damaged } = await readState(distDir);
    const served = await readFile(join(distDir, 'InRelease')).then(
      (b) => `${Buffer.from(splitClearsigned(b).signed).toString('utf8')}\n`,
      () => undefined,
    );
    const { generations, garbage } = reconcile(state, served);
    for (const name of ['InRelease', 'Release', 'Release.gpg']) await removeFile(join(distDir, name));
    const report = damaged
      ? { poolRemoved: 0, poolSkipped: `the publish state of ${distDir} is damaged` }
      : await collectGarbage({ store: options.store, prefix: options.prefix, prefixDir, distDir, dist: options.dist, kept: [], dropped: [...generations, ...garbage] });
    await rm(distDir, { recursive: true, force: true });
    if ((await listDir(join(prefixDir, 'dists'))).length === 0 && report.poolSkipped === undefined) {
      // No distribution left: nothing refers to any file of this prefix's pool.
      await options.store.transaction((tx) => tx.removePoolView(options.prefix, 'all'));
      await rm(join(prefixDir, 'pool'), { recursive: true, force: true });
      await pruneEmptyDirs(join(prefixDir, 'dists'), root);
    }
    return { removed: true, poolRemoved: report.poolRemoved, ...(report.poolSkipped !== undefined ? { poolSkipped: report.poolSkipped } : {}) };
  } finally {
    await release();
    await pruneEmptyDirs(join(prefixDir, '.debstash'), root);
  }
}
