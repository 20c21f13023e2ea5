import type { IncomingMessage } from 'node:http';
import type { Context } from '../model/context.js';
import type { ConfiguredToken } from './configured-token.js';

/** Who may read the APT tree: everyone (default), or holders of a read token / basic-auth pair. */
export interface TreePolicy {
  readonly public: boolean;
  readonly tokens: readonly ConfiguredToken[];
}

/** STUB: the auth work fills it in. True when the request may read the tree. */
export async function treeAccessAllowed(_ctx: Context, _req: IncomingMessage, policy: TreePolicy): Promise<boolean> {
  return policy.public;
}
