import { randomBytes } from 'node:crypto';
import type { Context } from '../model/context.js';
import { validateName } from '../model/validate-name.js';
import type { TokenRecord, TokenScope } from '../store/token-record.js';
import { newTokenSecret, secretHash } from './token-secret.js';

/**
 * `token create`: stores the hash of a new secret and returns the secret, which exists nowhere
 * else afterwards (shown once).
 */
export async function createToken(ctx: Context, options: { readonly scope: TokenScope; readonly name?: string }): Promise<{ readonly token: TokenRecord; readonly secret: string }> {
  const name = validateName('token', options.name ?? `${options.scope}-${randomBytes(4).toString('hex')}`);
  const secret = newTokenSecret();
  const token: TokenRecord = { name, scope: options.scope, sha256: secretHash(secret).toString('hex'), createdAt: new Date().toISOString() };
  await ctx.store.transaction((tx) => tx.createToken(token));
  return { token, secret };
}

export async function revokeToken(ctx: Context, name: string): Promise<void> {
  await ctx.store.transaction((tx) => tx.revokeToken(name));
}
