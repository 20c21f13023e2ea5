import type { ServerResponse } from 'node:http';

/** What the request log and the metrics learn about one request while it is answered. */
export interface Exchange {
  readonly id: string;
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
