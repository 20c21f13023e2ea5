import type { ServerResponse } from 'node:http';
import { endWithBody, type Exchange, setStamp } from './exchange.js';

/** A short answer of the server's own (health, refusals), never cached, carrying the exchange's stamp. */
export function text(res: ServerResponse, ex: Exchange, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  setStamp(res, ex);
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.setHeader('Cache-Control', 'no-cache');
  endWithBody(res, ex, body);
}

export function methodNotAllowed(res: ServerResponse, ex: Exchange): void {
  res.setHeader('Allow', 'GET, HEAD');
  text(res, ex, 405, 'method not allowed\n');
}
