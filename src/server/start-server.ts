import { servesInRelease } from '../model/served-release.js';
import { pino, type Logger } from 'pino';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DebstashError, isDebstashError } from '../errors/debstash-error.js';
import type { ErrorCode } from '../errors/codes.js';
import { exportPublicKey } from '../keys/key-store.js';
import { clientConfig } from '../model/client-config.js';
import type { Context } from '../model/context.js';
import { apiState, stopTasks } from './api/api-state.js';
import { handleApi } from './api/handle-api.js';
import { RateLimiter } from './api/rate-limiter.js';
import type { ClientLimits } from './client-limits.js';
import { applyConnectionLimits, connectionServerOptions } from './connection-guard.js';
import { Metrics } from './metrics.js';
import type { ConfiguredToken } from '../auth/configured-token.js';
import { type Exchange, newExchange, setStamp } from './exchange.js';
import { DEFAULT_FILE_CACHE, type FileCacheOptions } from './file-cache.js';
import { gracefulClose } from './graceful-close.js';
import type { RequestCounters } from './metrics.js';
import { methodNotAllowed, text } from './plain-answer.js';
import { requestIds } from './request-id.js';
import { recordWhenDone } from './request-log.js';
import { acceptClientAddress } from './client-address.js';
import { nonTreeRoute, requestPath, treeHandler } from './tree-handler.js';
import { isUiPath, WebUi } from './web-ui.js';

export interface ServerOptions {
  readonly host: string;
  readonly port: number;
  /** Ready once this says so (e.g. after the first publish); default: every publish has a Release. */
  readonly ready?: () => Promise<{ readonly ok: boolean; readonly why?: string }>;
  /** Shared with whoever reports into it (e.g. `up`'s refresh loop); a fresh one by default. */
  readonly metrics?: Metrics;
  /** The APT tree is public unless this is false (then a read token or basic auth is needed). */
  readonly public?: boolean;
  /** Tokens from debstash.yaml, besides the stored ones. */
  readonly tokens?: readonly ConfiguredToken[];
  /** Structured log sink; silent by default (the CLI passes one that writes JSON lines). */
  readonly logger?: Logger;
  /** Memory for hot files of the tree; DEFAULT_FILE_CACHE by default. */
  readonly fileCache?: FileCacheOptions;
  /** Largest .deb the API accepts in one upload (default 512 MiB). */
  readonly uploadLimitBytes?: number;
  /** How long close() lets responses in flight finish before cutting them (default 8 s). */
  readonly shutdownGraceMs?: number;
  /** Where host:port came from, named in a failure to listen (default `--listen`). */
  readonly listenSetting?: string;
  /**
   * Listen on this unix socket instead of host:port (the primary of `serve --workers`, which
   * its workers forward to); host and port still make the URLs it gives out. Requests on it
   * are trusted to name their client (X-Debstash-Client-Address), and the connection limits
   * of clientLimits are the workers' to apply, not its own.
   */
  readonly socketPath?: string;
  /** Counters of other processes that serve for this one (the workers), summed into /metrics. */
  readonly peerCounters?: () => Promise<readonly RequestCounters[]>;
  /** Rate and connection limits per client (serve and up pass clientLimitsFromEnv()); none by default. */
  readonly clientLimits?: ClientLimits;
  /** With S3 storage: pool and by-hash paths answered with a redirect to a presigned URL (see BucketTreeRoute). */
  readonly storageRedirect?: boolean;
  /** The built web UI (default: dist/ui of this package). */
  readonly uiDir?: string;
  /** Where clients reach the server (`server.public_url`, normalized): `/client/…` names it rather than the Host a request asked for. */
  readonly publicUrl?: string;
}

export interface RunningServer {
  readonly url: string;
  /** What it listens on: the host as given, the port as bound (port 0 asks for any). */
  readonly host: string;
  readonly port: number;
  /**
   * Stops accepting, lets responses in flight finish within `graceMs` (default: the server's
   * shutdownGraceMs), cuts the rest, then resolves. A later call with 0 cuts at once.
   */
  close(graceMs?: number): Promise<void>;
}

/** Why the system refused to listen, as the user can act on it; undefined for what no input explains. */
const LISTEN_ERRORS: Readonly<Record<string, { readonly code: ErrorCode; readonly why: string }>> = {
  EADDRINUSE: { code: 'DEBSTASH_E_LISTEN_IN_USE', why: 'is already in use by another process' },
  ENOTFOUND: { code: 'DEBSTASH_E_LISTEN_ADDRESS', why: 'has a host that does not resolve' },
  EAI_AGAIN: { code: 'DEBSTASH_E_LISTEN_ADDRESS', why: 'has a host that does not resolve' },
  EADDRNOTAVAIL: { code: 'DEBSTASH_E_LISTEN_ADDRESS', why: 'is not an address of this machine' },
  EACCES: { code: 'DEBSTASH_E_LISTEN_DENIED', why: 'is not allowed for this user (a port below 1024 needs privileges)' },
};

export function listenError(err: unknown, options: Pick<ServerOptions, 'host' | 'port' | 'listenSetting'>): unknown {
  const known = LISTEN_ERRORS[(err as NodeJS.ErrnoException).code ?? ''];
  if (known === undefined) return err;
  const address = `${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`;
  const setting = options.listenSetting ?? '--listen';
  return new DebstashError(known.code, `${setting}: ${address} ${known.why}`, { listen: address, setting }, { cause: err });
}

/** Below the 10 s a container runtime waits between SIGTERM and SIGKILL. */
const DEFAULT_SHUTDOWN_GRACE_MS = 8000;

/** The store answers and every publish it lists has its signed InRelease where it is served from. */
async function publishesReady(ctx: Context): Promise<{ ok: boolean; why?: string }> {
  const all = await ctx.store.listPublishes();
  if (all.length === 0) return { ok: false, why: 'nothing is published yet' };
  for (const p of all) {
    if (!(await servesInRelease(ctx, p.prefix, p.dist))) return { ok: false, why: `${p.prefix || '/'} ${p.dist} has no InRelease yet` };
  }
  return { ok: true };
}

/**
 * `debstash serve`: the published APT trees, the signing key, client configuration, and the
 * health endpoints orchestrators wait on. Plain node:http on the static path: no framework
 * between a client and its files, hot files from memory (see StaticTree).
 */
export async function startServer(ctx: Context, options: ServerOptions): Promise<RunningServer> {
  const ready = options.ready ?? (() => publishesReady(ctx));
  const metrics = options.metrics ?? new Metrics();
  const tokens = options.tokens ?? [];
  const logger = options.logger ?? pino({ level: 'silent' });
  const fileCache = options.fileCache ?? DEFAULT_FILE_CACHE;
  const serveTree = treeHandler(ctx, { logger, metrics, fileCache, public: options.public ?? true, tokens, ...(options.storageRedirect === true ? { storageRedirect: true } : {}) });
  const webUi = new WebUi(options.uiDir);
  const peerCounters = options.peerCounters ?? (() => Promise.resolve([]));
  const nextId = requestIds();
  const limits = options.clientLimits;
  const rateLimits = limits === undefined ? undefined : { write: new RateLimiter(limits.write), search: new RateLimiter(limits.search) };
  // The public URL is what the Releases name (Snapshots:), so clients are given it whatever Host they used.
  const baseUrl = (req: IncomingMessage): string => options.publicUrl ?? `http://${req.headers.host ?? `${options.host}:${options.port}`}`;

  /** Everything but the tree: few requests, plain setHeader. */
  const answerOther = async (req: IncomingMessage, res: ServerResponse, path: string, ex: Exchange): Promise<void> => {
    setStamp(res, ex);
    if (path === '/healthz') text(res, ex, 200, 'ok\n');
    else if (path === '/readyz') {
      const r = await ready().catch((err: unknown) => ({ ok: false, why: `store unreachable: ${String(err)}` }));
      // Which metadata store this replica uses (a PostgreSQL URL without its password).
      res.setHeader('X-Debstash-Store', `${ctx.store.kind} ${encodeURI(ctx.store.location)}`);
      const storage = `storage: ${ctx.pool.describe?.() ?? 'unknown'}`;
      text(res, ex, r.ok ? 200 : 503, `${r.ok ? (r.why ? `ready, ${r.why}` : 'ready') : `not ready: ${r.why ?? 'unknown'}`}\n${storage}\n`);
    } else if (path === '/metrics') text(res, ex, 200, await metrics.render(ctx, await peerCounters()), 'text/plain; version=0.0.4; charset=utf-8');
    else if (ex.route === '/api/*') {
      await handleApi(ctx, req, res, {
        metrics,
        tokens,
        log: logger.child({ reqId: ex.id }),
        ...(options.uploadLimitBytes !== undefined ? { uploadLimitBytes: options.uploadLimitBytes } : {}),
        ...(rateLimits !== undefined ? { rateLimits } : {}),
        publicReads: options.public ?? true,
      });
    }
    else if (req.method !== 'GET' && req.method !== 'HEAD') methodNotAllowed(res, ex);
    else if (path === '/key.asc') {
      const key = await exportPublicKey(ctx.store).catch(() => undefined);
      if (key) text(res, ex, 200, key.armored, 'application/pgp-keys');
      else text(res, ex, 404, 'no signing key yet\n');
    } else await clientSources(req, res, path, ex);
  };

  const notFound = (err: unknown): boolean => isDebstashError(err) && err.code === 'DEBSTASH_E_PUBLISH_NOT_FOUND';
  const clientSources = async (req: IncomingMessage, res: ServerResponse, path: string, ex: Exchange): Promise<void> => {
    const client = /^\/client\/(?:(.+)\/)?([^/]+)\.sources$/.exec(path);
    const sources =
      client === null
        ? undefined
        : await clientConfig(ctx, client[2] ?? '', { url: baseUrl(req), ...(client[1] ? { prefix: client[1] } : {}) })
            // `a,b,c.sources`: those dists in one stanza, as `up` prints them (a dist may hold
            // a comma, so the whole name is asked first).
            .catch((err: unknown) => (notFound(err) && client[2]?.includes(',') ? clientConfig(ctx, client[2].split(','), { url: baseUrl(req), ...(client[1] ? { prefix: client[1] } : {}) }) : Promise.reject(err)))
            .catch((err: unknown) => {
              if (notFound(err)) return undefined;
              throw err;
            });
    if (sources) text(res, ex, 200, sources);
    else text(res, ex, 404, 'no such publish\n');
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, ex: Exchange): Promise<void> => {
    const path = requestPath(req);
    const special = nonTreeRoute(path);
    if (special === undefined) return serveTree(req, res, path, ex);
    ex.route = special;
    // The UI before the tree (nonTreeRoute): a publish can have no prefix "ui" (checkPrefix refuses it).
    if (isUiPath(path) && (req.method === 'GET' || req.method === 'HEAD')) {
      setStamp(res, ex);
      return webUi.serve(res, path, ex);
    }
    return answerOther(req, res, path, ex);
  };

  // The primary of `serve --workers` on its unix socket: its only clients are its workers,
  // which hold the TCP connections and apply the connection limits themselves.
  const onSocket = options.socketPath !== undefined;
  const connectionLimits = onSocket ? undefined : limits;
  const server = createServer(connectionServerOptions(connectionLimits), (req, res) => {
    acceptClientAddress(req, onSocket);
    const ex = newExchange(nextId(req.headers['x-request-id']));
    recordWhenDone(req, res, ex, logger, metrics);
    handle(req, res, ex).catch((err: unknown) => {
      logger.error({ reqId: ex.id, err }, 'request failed');
      if (res.headersSent) res.destroy();
      else text(res, ex, 500, 'internal error\n');
    });
  });
  if (connectionLimits !== undefined) applyConnectionLimits(server, connectionLimits, metrics);
  const close = gracefulClose(server);
  // Tasks left "running" by a process that died (this one's previous run, a killed replica)
  // are marked failed before anyone lists them: none stays running forever.
  await apiState(ctx, metrics).tasks.reapAbandoned();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(listenError(err, options)));
    if (options.socketPath !== undefined) server.listen(options.socketPath, resolve);
    else server.listen(options.port, options.host, resolve);
  });
  const address = options.socketPath === undefined ? (server.address() as AddressInfo) : { port: options.port };
  return {
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${address.port}`,
    host: options.host,
    port: address.port,
    // Tasks (mirror update, publish) are cancelled, not cut: each rolls back to the previous state.
    close: async (graceMs = options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS) => {
      await Promise.all([close(graceMs), stopTasks(metrics)]);
    },
  };
}
