import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Context } from '../../model/context.js';
import type { Metrics } from '../metrics.js';
import type { ConfiguredToken } from '../../auth/configured-token.js';

export interface ApiEnvironment {
  readonly metrics: Metrics;
  /** The request's logger (carries its request id). */
  readonly log: Logger;
  /** Tokens from debstash.yaml (plain secrets from the environment), besides the stored ones. */
  readonly tokens: readonly ConfiguredToken[];
}

/** Everything under `/api/`. STUB: the REST API work fills it in. */
export async function handleApi(_ctx: Context, _req: IncomingMessage, res: ServerResponse, _env: ApiEnvironment): Promise<void> {
  res.statusCode = 404;
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify({ error: { code: 'DEBSTASH_E_NOT_IMPLEMENTED', message: 'the REST API is not in this build yet' } }));
}
