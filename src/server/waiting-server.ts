import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DebstashError } from '../errors/debstash-error.js';
import { sendError } from './api/json-reply.js';
import { gracefulClose } from './graceful-close.js';
import { listenError } from './start-server.js';

/** What `up` and `serve` listen with while their backends do not answer yet. */
export interface WaitingServer {
  readonly url: string;
  readonly host: string;
  /** As bound (port 0 asks for any): the real server takes the same one. */
  readonly port: number;
  /** Why it waits: what /readyz and every other answer say; updated at each failed attempt. */
  setReason(err: DebstashError): void;
  close(): Promise<void>;
}

/**
 * The stand-in `up` and `serve` listen with while the store (or the bucket) does not answer at start. It
 * serves nothing of the tree: without the store no pool path can be resolved and no publish
 * checked, and a stale answer is worse than a clear refusal. /healthz is 200 (the process is
 * alive and retrying; an orchestrator must not restart it for a database outage), /readyz
 * 503 with the coded reason in the body, everything else a coded 503 (`{"error": ...}`) that
 * apt and API clients retry.
 */
export async function startWaitingServer(host: string, port: number, first: DebstashError, listenSetting: string): Promise<WaitingServer> {
  let reason = first;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    res.setHeader('Retry-After', '5');
    if (path === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache' }).end('ok, waiting for the store\n');
    } else if (path === '/readyz') {
      res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache' }).end(`not ready: ${reason.code}: ${reason.message}\n`);
    } else {
      sendError(res, reason);
    }
  });
  const close = gracefulClose(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(listenError(err, { host, port, listenSetting })));
    server.listen(port, host, resolve);
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    host,
    port: bound,
    setReason: (err) => {
      reason = err;
    },
    close: () => close(0),
  };
}
