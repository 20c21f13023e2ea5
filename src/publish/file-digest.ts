import { createHash } from 'node:crypto';
import type { FileDigest } from './release-text.js';

/** Size, MD5, SHA-256 and SHA-512 of the concatenation of `pieces`. */
export function digestOf(pieces: readonly Uint8Array[] | Uint8Array | string): FileDigest {
  const md5 = createHash('md5');
  const sha256 = createHash('sha256');
  const sha512 = createHash('sha512');
  let size = 0;
  const list = typeof pieces === 'string' ? [Buffer.from(pieces, 'utf8')] : pieces instanceof Uint8Array ? [pieces] : pieces;
  for (const p of list) {
    md5.update(p);
    sha256.update(p);
    sha512.update(p);
    size += p.length;
  }
  return { size, md5: md5.digest('hex'), sha256: sha256.digest('hex'), sha512: sha512.digest('hex') };
}
