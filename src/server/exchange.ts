import type { ServerResponse } from 'node:http';

/** What the request log and the metrics learn about one request while it is answered. */
export interface Exchange {
  readonly id: string;
  /**
   * Headers every answer to this request carries, flat [name, value, ...]: the request id, and
   * in a worker of `serve --workers` its number. Computed once per request.
   */
  readonly stamp: readonly string[];
  /** A template with few values ("/pool/*", "/api/*"), never the raw path: it labels metrics. */
  route: string;
  /** Body bytes sent. */
  bytes: number;
}

/** Ends `res` with `body`, counted as sent unless the request is a HEAD (whose body Node drops). */
export function endWithBody(res: ServerResponse, ex: Exchange, body: string | Buffer): void {
  if (res.req.method !== 'HEAD') ex.bytes += typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  res.end(body);
}

/** A new exchange: `stamp` is `X-Request-Id` followed by `extra` (e.g. the worker's number). */
export function newExchange(id: string, extra: readonly string[] = []): Exchange {
  return { id, stamp: ['X-Request-Id', id, ...extra], route: '/*', bytes: 0 };
}

/** Sets the stamp's headers on a response answered with setHeader rather than a header list. */
export function setStamp(res: ServerResponse, ex: Exchange): void {
  for (let i = 0; i < ex.stamp.length; i += 2) res.setHeader(ex.stamp[i] ?? '', ex.stamp[i + 1] ?? '');
}
