import type { ExpectedDigest } from './content-check.js';

const BY_HASH = /(?:^|\/)by-hash\/(SHA256|SHA512)\/([0-9a-f]+)$/;
const HEX_LENGTH = { SHA256: 64, SHA512: 128 } as const;

/**
 * What a `by-hash/SHA256/HEX` or `by-hash/SHA512/HEX` file of the tree must hash to: its own
 * name says it, so the server can refuse to serve one whose bytes changed (apt would reject
 * them, and a cache in between might keep them). Undefined for any other path.
 */
export function byHashDigest(relative: string): ExpectedDigest | undefined {
  const m = BY_HASH.exec(relative);
  if (m === null) return undefined;
  const name = m[1] as keyof typeof HEX_LENGTH;
  const digest = m[2] ?? '';
  if (digest.length !== HEX_LENGTH[name]) return undefined;
  return { algorithm: name === 'SHA256' ? 'sha256' : 'sha512', digest };
}
