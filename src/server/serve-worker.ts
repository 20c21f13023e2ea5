// The entry of a worker process of `serve --workers N` (node:cluster forks it): it serves the
// APT tree and forwards everything else to the primary. Run any other way, it does nothing.
import cluster from 'node:cluster';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeContext, type Context, openEmbeddedContext } from '../model/context.js';
import { acceptClientAddress } from './client-address.js';
import { applyConnectionLimits, connectionServerOptions } from './connection-guard.js';
import { newExchange } from './exchange.js';
import { primaryForwarder } from './forward-to-primary.js';
import { gracefulClose } from './graceful-close.js';
import { Metrics } from './metrics.js';
import { text } from './plain-answer.js';
import { requestIds } from './request-id.js';
import { recordWhenDone } from './request-log.js';
import { type FromWorker, isMessage, type ToWorker, type WorkerSetup } from './serve-cluster-messages.js';
import { serverLogger } from './server-logger.js';
import { nonTreeRoute, requestPath, treeHandler } from './tree-handler.js';

function tell(m: FromWorker): void {
  process.send?.(m);
}

async function runWorker(setup: WorkerSetup): Promise<void> {
  const { logger, flush } = serverLogger({ quiet: setup.quiet, verbose: setup.verbose, sharedStderr: true });
  let ctx: Context;
  try {
    ctx = await openEmbeddedContext(setup.dataDir, setup.database, setup.storage !== undefined ? { storage: setup.storage } : {});
  } catch (err) {
    tell({ type: 'failed', message: `cannot open the data dir: ${err instanceof Error ? err.message : String(err)}` });
    process.exit(1);
  }
  const metrics = new Metrics();
  const serveTree = treeHandler(ctx, { logger, metrics, fileCache: setup.fileCache, public: setup.public, tokens: setup.tokens, ...(setup.storageRedirect === true ? { storageRedirect: true } : {}) });
  const forward = primaryForwarder(setup.socketPath, logger);
  const nextId = requestIds();
  const stamp = ['X-Debstash-Worker', String(setup.index)];

  const server: Server = createServer(connectionServerOptions(setup.clientLimits), (req, res) => {
    // Only the forwarder names the client, and only to the primary.
    acceptClientAddress(req, false);
    const ex = newExchange(nextId(req.headers['x-request-id']), stamp);
    const path = requestPath(req);
    if (nonTreeRoute(path) !== undefined) return forward(req, res, ex);
    recordWhenDone(req, res, ex, logger, metrics);
    const failed = (err: unknown): void => {
      logger.error({ reqId: ex.id, err }, 'request failed');
      if (res.headersSent) res.destroy();
      else text(res, ex, 500, 'internal error\n');
    };
    try {
      serveTree(req, res, path, ex)?.catch(failed);
    } catch (err) {
      failed(err);
    }
  });
  if (setup.clientLimits !== undefined) applyConnectionLimits(server, setup.clientLimits, metrics);
  const close = gracefulClose(server);

  process.on('message', (m: unknown) => {
    if (!isMessage<ToWorker>(m)) return;
    if (m.type === 'counters') tell({ type: 'counters', id: m.id, counters: metrics.counters() });
    else if (m.type === 'close') {
      void close(m.graceMs)
        .then(() => flush())
        .then(() => closeContext(ctx))
        .finally(() => process.exit(0));
    }
  });
  server.once('error', (err: NodeJS.ErrnoException) => {
    tell({ type: 'failed', message: err.message, ...(err.code !== undefined ? { errno: err.code } : {}) });
    void flush().finally(() => process.exit(1));
  });
  server.listen(setup.port, setup.host, () => tell({ type: 'listening', port: (server.address() as AddressInfo).port }));
}

if (cluster.isWorker) {
  // Ctrl-C reaches every process of the terminal's group, systemd's stop every process of the
  // unit: the primary decides when workers stop (a 'close' message), so that none is restarted
  // while it shuts down. Without a primary the IPC channel closes and cluster ends the worker.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => undefined);
  process.once('message', (m: unknown) => {
    if (isMessage<ToWorker>(m) && m.type === 'setup') void runWorker(m);
  });
  tell({ type: 'hello' });
}
