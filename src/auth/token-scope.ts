import { DebstashError } from '../errors/debstash-error.js';
import type { TokenScope } from '../store/token-record.js';

/** Weakest first: each scope includes the ones before it. */
export const TOKEN_SCOPES: readonly TokenScope[] = ['read', 'write', 'admin'];

export function scopeAllows(have: TokenScope, need: TokenScope): boolean {
  return TOKEN_SCOPES.indexOf(have) >= TOKEN_SCOPES.indexOf(need);
}

export function parseScope(value: string): TokenScope {
  const scope = TOKEN_SCOPES.find((s) => s === value);
  if (scope === undefined) throw new DebstashError('DEBSTASH_E_USAGE', `unknown token scope ${JSON.stringify(value)}: use ${TOKEN_SCOPES.join(', ')}`, { scope: value });
  return scope;
}
