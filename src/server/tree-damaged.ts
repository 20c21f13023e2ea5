import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Exchange } from './exchange.js';
import type { Metrics } from './metrics.js';

/** What a damaged file is reported to. */
export interface DamageReporting {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/**
 * A file of the tree whose bytes are not the ones it is published as (size or hash): a 500
 * coded DEBSTASH_E_TREE_DAMAGED, an error log line naming the file and what it should hash
 * to, and debstash_tree_damaged_total{route} counted, never a 200 of bytes apt would reject.
 */
export function answerTreeDamaged(res: ServerResponse, ex: Exchange, reporting: DamageReporting, details: { readonly path: string; readonly expected: string; readonly why: string }): void {
  reporting.metrics.observeTreeDamaged(ex.route);
  reporting.logger.error({ reqId: ex.id, code: 'DEBSTASH_E_TREE_DAMAGED', path: details.path, expected: details.expected }, `${details.path}: ${details.why}; not served`);
  res.writeHead(500, ['Content-Type', 'text/plain; charset=utf-8', 'Cache-Control', 'no-cache', ...ex.stamp]);
  res.end('DEBSTASH_E_TREE_DAMAGED: the file on the server is damaged; its operator is told\n');
}
