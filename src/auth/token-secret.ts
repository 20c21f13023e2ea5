import { createHash, randomBytes } from 'node:crypto';

/** Marks debstash secrets, so secret scanners and people recognize a leaked one. */
const SECRET_PREFIX = 'dst_';

/** A new token secret: 32 random bytes, base64url. */
export function newTokenSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** What the store keeps of a secret. */
export function secretHash(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** Enough to tell attempts apart in a log, nothing to guess the secret from. */
export function secretFingerprint(secret: string): string {
  return secretHash(`fingerprint:${secret}`).subarray(0, 4).toString('hex');
}
