import { Agent, type IncomingMessage, type OutgoingHttpHeaders, request, type ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { CLIENT_ADDRESS_HEADER } from './client-address.js';
import { type Exchange, setStamp } from './exchange.js';
import { text } from './plain-answer.js';

/** Headers of one connection, not of the message: the worker's connection to its client has its own. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

/**
 * A worker of `serve --workers` hands every request outside the tree (API, health, metrics,
 * key, client configuration) to the primary on its unix socket, as a plain reverse proxy over
 * kept-alive connections: bodies stream both ways (uploads, task event streams), the request
 * keeps its id, and the answer gets the worker's stamp. The primary counts and logs these
 * requests; the worker does not, so none is counted twice.
 */
export function primaryForwarder(socketPath: string, logger: Logger): (req: IncomingMessage, res: ServerResponse, ex: Exchange) => void {
  const agent = new Agent({ keepAlive: true });
  return (req, res, ex) => {
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) if (value !== undefined && name !== 'connection' && name !== 'keep-alive') headers[name] = value;
    headers['x-request-id'] = ex.id;
    // The primary sees the worker on its socket; it trusts this header there, and only there.
    if (req.socket.remoteAddress !== undefined) headers[CLIENT_ADDRESS_HEADER] = req.socket.remoteAddress;
    else delete headers[CLIENT_ADDRESS_HEADER];
    const upstream = request({ socketPath, agent, method: req.method, path: req.url, headers }, (answer) => {
      setStamp(res, ex);
      res.writeHead(answer.statusCode ?? 502, endToEnd(answer.rawHeaders));
      // Headers at once: a task's event stream may send its first event much later.
      res.flushHeaders();
      pipeline(answer, res).catch(() => undefined);
    });
    upstream.on('error', (err) => {
      logger.error({ reqId: ex.id, err }, 'the primary did not answer a forwarded request');
      if (!res.headersSent) text(res, ex, 502, 'the serving process cannot reach its primary\n');
      else res.destroy();
    });
    // A client that goes away takes the forwarded request with it (a task's stream ends).
    res.once('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    pipeline(req, upstream).catch(() => undefined);
  };
}

function endToEnd(raw: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] ?? '';
    if (!HOP_BY_HOP.has(name.toLowerCase())) out.push(name, raw[i + 1] ?? '');
  }
  return out;
}
