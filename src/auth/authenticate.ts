import { timingSafeEqual } from 'node:crypto';
import type { Store } from '../store/store.js';
import type { TokenScope } from '../store/token-record.js';
import type { ConfiguredToken } from './configured-token.js';
import { secretFingerprint, secretHash } from './token-secret.js';

export type Authentication =
  | { readonly ok: true; readonly name: string; readonly scope: TokenScope }
  /** `fingerprint` identifies the secret that failed (never the secret itself). */
  | { readonly ok: false; readonly reason: 'missing' | 'malformed' | 'unknown'; readonly fingerprint?: string };

/**
 * The secret an Authorization header carries: `Bearer SECRET`, or `Basic base64(user:SECRET)`
 * as apt sends from auth.conf (the user name is not checked: the secret alone identifies).
 */
export function presentedSecret(header: string | undefined): string | undefined | null {
  if (header === undefined || header.trim() === '') return undefined;
  const m = /^(\S+)\s+(\S+)\s*$/.exec(header);
  if (m === null) return null;
  const [, scheme = '', value = ''] = m;
  if (scheme.toLowerCase() === 'bearer') return value;
  if (scheme.toLowerCase() !== 'basic') return null;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 || colon === decoded.length - 1 ? null : decoded.slice(colon + 1);
}

/**
 * Who the request is: the stored or configured token whose secret it presents. Every known hash
 * is compared in constant time, and all of them are compared, so the answer's timing tells
 * nothing about which token nearly matched.
 */
export async function authenticate(store: Store, header: string | undefined, configured: readonly ConfiguredToken[]): Promise<Authentication> {
  const secret = presentedSecret(header);
  if (secret === undefined) return { ok: false, reason: 'missing' };
  if (secret === null) return { ok: false, reason: 'malformed' };
  const presented = secretHash(secret);
  const candidates = [
    ...(await store.listTokens()).map((t) => ({ name: t.name, scope: t.scope, hash: Buffer.from(t.sha256, 'hex') })),
    ...configured.map((t) => ({ name: t.name, scope: t.scope, hash: secretHash(t.secret) })),
  ];
  let found: { name: string; scope: TokenScope } | undefined;
  for (const c of candidates) {
    if (c.hash.length === presented.length && timingSafeEqual(c.hash, presented) && found === undefined) found = { name: c.name, scope: c.scope };
  }
  return found !== undefined ? { ok: true, ...found } : { ok: false, reason: 'unknown', fingerprint: secretFingerprint(secret) };
}
