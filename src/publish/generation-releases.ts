import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { stateDirOf } from './publish-state.js';
import { listDir, type TreeFiles } from './tree-files.js';

/*
 * Each generation's signed Release files, kept beside the publisher's state for as long as the
 * generation is kept (`dists/DIST/.debstash/releases/<Release SHA-256>/`), so that
 * `/snapshots/ID/...` serves the InRelease a client read at ID, not today's. A few KiB each;
 * the indexes they name are the generation's by-hash files, which retention keeps anyway.
 * With S3 storage they go to the bucket under the same names (bucket-tree.ts), for every replica.
 */

/** The three files apt may read first, in the order a publish replaces them. */
export const RELEASE_FILES = ['InRelease', 'Release', 'Release.gpg'] as const;
export type ReleaseFile = (typeof RELEASE_FILES)[number];

/** Where a generation's copies are, relative to `dists/DIST/`. */
export function releaseCopyDir(releaseSha256: string): string {
  return `.debstash/releases/${releaseSha256}`;
}

/** The Release SHA-256 whose copies hold `path` (relative to `dists/DIST/`); undefined for any other path. Pure. */
export function releaseCopyOwner(path: string): string | undefined {
  return /^\.debstash\/releases\/([0-9a-f]{64})\//.exec(path)?.[1];
}

/**
 * Writes the copies of a generation about to be served (durably, before its InRelease
 * replaces the served one) and returns the paths it created, for a roll-back to remove.
 */
export async function writeReleaseCopies(
  distDir: string,
  releaseSha256: string,
  signed: { readonly inRelease: string | Uint8Array; readonly releaseGpg: string | Uint8Array },
  releaseText: string,
  files: TreeFiles,
): Promise<string[]> {
  const dir = join(distDir, releaseCopyDir(releaseSha256));
  const created: string[] = [];
  const bytes: Record<ReleaseFile, string | Uint8Array> = { InRelease: signed.inRelease, Release: releaseText, 'Release.gpg': signed.releaseGpg };
  for (const name of RELEASE_FILES) {
    const path = join(dir, name);
    const existed = await stat(path).then(() => true, () => false);
    await files.write(path, bytes[name], true);
    if (!existed) created.push(path);
  }
  return created;
}

/** Removes the copies of generations no longer kept (named by their Release SHA-256). */
export async function removeUnusedReleaseCopies(distDir: string, kept: ReadonlySet<string>): Promise<void> {
  const root = join(stateDirOf(distDir), 'releases');
  for (const name of await listDir(root)) {
    if (/^[0-9a-f]{64}$/.test(name) && !kept.has(name)) await rm(join(root, name), { recursive: true, force: true });
  }
}
