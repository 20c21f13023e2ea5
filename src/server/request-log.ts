import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { clientAddress } from './client-address.js';
import type { Exchange } from './exchange.js';
import type { Metrics } from './metrics.js';
import { loggablePath } from './loggable-path.js';
import { namedRoute } from './request-route.js';

/**
 * When the response is over (sent or cut), counts it in the metrics and logs one line: id,
 * method, route, path (query values it does not read redacted), status, body bytes,
 * milliseconds; at debug level also who asked.
 */
export function recordWhenDone(req: IncomingMessage, res: ServerResponse, ex: Exchange, logger: Logger, metrics: Metrics): void {
  const started = performance.now();
  res.once('close', () => {
    const route = namedRoute(res) ?? ex.route;
    metrics.observeRequest(route, res.statusCode, ex.bytes);
    if (!logger.isLevelEnabled('info')) return;
    const line: Record<string, unknown> = {
      reqId: ex.id,
      method: req.method,
      route,
      path: loggablePath(req.url),
      status: res.statusCode,
      bytes: ex.bytes,
      ms: Math.round((performance.now() - started) * 1000) / 1000,
    };
    if (!res.writableFinished) line.aborted = true;
    if (logger.isLevelEnabled('debug')) logger.debug({ ...line, remote: clientAddress(req), userAgent: req.headers['user-agent'], range: req.headers.range }, 'request');
    else logger.info(line, 'request');
  });
}
