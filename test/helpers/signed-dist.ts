/**
 * Writes a tiny signed `dists/DIST/` tree for upstream tests: the given files, a Release
 * listing their sizes and SHA-256, InRelease and Release.gpg made by real gpg, and by-hash
 * copies. Compressed variants are made with the real xz/gzip/bzip2/zstd tools.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { GpgHome } from './gpg-home.js';

export interface SignedDistOptions {
  readonly gpg: GpgHome;
  /** Fingerprint of the signing key. */
  readonly signer: string;
  readonly date?: Date;
  readonly validUntil?: Date;
  /** Write by-hash/SHA256/ copies and say Acquire-By-Hash: yes. Default true. */
  readonly byHash?: boolean;
  /** Write InRelease. Default true. */
  readonly inRelease?: boolean;
  /** Write Release.gpg. Default true. */
  readonly releaseGpg?: boolean;
}

export interface SignedDist {
  readonly dir: string;
  readonly release: string;
  readonly inRelease: Buffer | undefined;
}

export const sha256Hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** The bytes of `data` compressed by the system tool for `ext` (.xz, .gz, .bz2, .zst). */
export function compress(data: Uint8Array, ext: '.xz' | '.gz' | '.bz2' | '.zst'): Buffer {
  const tool = { '.xz': 'xz', '.gz': 'gzip', '.bz2': 'bzip2', '.zst': 'zstd' }[ext];
  return execFileSync(tool, ['-c', ...(ext === '.zst' ? ['-q'] : [])], { input: data, maxBuffer: 64 * 1024 * 1024 });
}

function rfc1123(d: Date): string {
  return d.toUTCString().replace('GMT', 'UTC');
}

/** Writes `root/dists/dist/` with `files` (paths relative to it); replaces what was there. */
export async function writeSignedDist(root: string, dist: string, files: Readonly<Record<string, Uint8Array>>, options: SignedDistOptions): Promise<SignedDist> {
  const dir = join(root, 'dists', dist);
  await rm(dir, { recursive: true, force: true });
  const byHash = options.byHash ?? true;
  const sums: string[] = [];
  for (const [path, content] of Object.entries(files)) {
    const file = join(dir, path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, content);
    const hash = sha256Hex(content);
    sums.push(` ${hash} ${String(content.length).padStart(8)} ${path}`);
    if (byHash) {
      const copy = join(dirname(file), 'by-hash', 'SHA256', hash);
      await mkdir(dirname(copy), { recursive: true });
      await writeFile(copy, content);
    }
  }
  const lines = [
    'Origin: Debstash Test',
    'Label: Debstash Test',
    `Suite: ${dist}`,
    `Codename: ${dist}`,
    `Date: ${rfc1123(options.date ?? new Date())}`,
    ...(options.validUntil !== undefined ? [`Valid-Until: ${rfc1123(options.validUntil)}`] : []),
    ...(byHash ? ['Acquire-By-Hash: yes'] : []),
    'Architectures: amd64',
    'Components: main',
    'SHA256:',
    ...sums,
  ];
  const release = `${lines.join('\n')}\n`;
  await writeFile(join(dir, 'Release'), release);
  let inRelease: Buffer | undefined;
  if (options.inRelease ?? true) {
    inRelease = await options.gpg.clearsign(release, [options.signer]);
    await writeFile(join(dir, 'InRelease'), inRelease);
  }
  if (options.releaseGpg ?? true) await writeFile(join(dir, 'Release.gpg'), await options.gpg.detachSign(release, [options.signer]));
  return { dir, release, inRelease };
}
