import { createHash } from 'node:crypto';
import type { FileDigest } from './release-text.js';

/** Size, SHA-256, SHA-512 and (when `md5`; else '') MD5 of the concatenation of `pieces`. */
export function digestOf(pieces: readonly Uint8Array[] | Uint8Array | string, md5wanted = false): FileDigest {
  const md5 = md5wanted ? createHash('md5') : undefined;
  const sha256 = createHash('sha256');
  const sha512 = createHash('sha512');
  let size = 0;
  const list = typeof pieces === 'string' ? [Buffer.from(pieces, 'utf8')] : pieces instanceof Uint8Array ? [pieces] : pieces;
  for (const p of list) {
    md5?.update(p);
    sha256.update(p);
    sha512.update(p);
    size += p.length;
  }
  return { size, md5: md5?.digest('hex') ?? '', sha256: sha256.digest('hex'), sha512: sha512.digest('hex') };
}
