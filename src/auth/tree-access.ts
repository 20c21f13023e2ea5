import type { IncomingMessage } from 'node:http';
import type { Context } from '../model/context.js';
import { authenticate } from './authenticate.js';
import type { ConfiguredToken } from './configured-token.js';
import { scopeAllows } from './token-scope.js';

/** Who may read the APT tree: everyone (default), or holders of a read token / basic-auth pair. */
export interface TreePolicy {
  readonly public: boolean;
  readonly tokens: readonly ConfiguredToken[];
}

/**
 * True when the request may read the tree: always for a public tree; otherwise with any token
 * of scope read or more, as a bearer token or as the password of HTTP basic auth (what apt
 * sends for an auth.conf entry).
 */
export async function treeAccessAllowed(ctx: Context, req: IncomingMessage, policy: TreePolicy): Promise<boolean> {
  if (policy.public) return true;
  const who = await authenticate(ctx.store, req.headers.authorization, policy.tokens);
  return who.ok && scopeAllows(who.scope, 'read');
}
