import { join } from 'node:path';
import type { FileDigest } from './release-text.js';

/**
 * Where a file listed in the Release is also found by its hash. apt asks for the strongest hash
 * the Release lists (SHA512 here), so both names exist, as hard links of one file.
 */
export function byHashPaths(distDir: string, path: string, digest: Pick<FileDigest, 'sha256' | 'sha512'>): { sha256: string; sha512: string } {
  const dir = join(distDir, path.slice(0, path.lastIndexOf('/')), 'by-hash');
  return { sha256: join(dir, 'SHA256', digest.sha256), sha512: join(dir, 'SHA512', digest.sha512) };
}
