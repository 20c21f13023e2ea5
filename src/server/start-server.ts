import { stat } from 'node:fs/promises';
import { pino, type Logger } from 'pino';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { isDebstashError } from '../errors/debstash-error.js';
import { exportPublicKey } from '../keys/key-store.js';
import { clientConfig } from '../model/client-config.js';
import type { Context } from '../model/context.js';
import { handleApi } from './api/handle-api.js';
import { Metrics } from './metrics.js';
import { treeAccessAllowed } from '../auth/tree-access.js';
import type { ConfiguredToken } from '../auth/configured-token.js';
import { resolveTreePath } from './resolve-tree-path.js';
import { serveFile } from './serve-file.js';

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
}

export interface RunningServer {
  readonly url: string;
  close(): Promise<void>;
}

function text(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.setHeader('Cache-Control', 'no-cache');
  res.end(body);
}

/** The store answers and every publish it lists has its signed InRelease on disk. */
async function publishesReady(ctx: Context): Promise<{ ok: boolean; why?: string }> {
  const all = await ctx.store.listPublishes();
  if (all.length === 0) return { ok: false, why: 'nothing is published yet' };
  for (const p of all) {
    const inRelease = join(ctx.publicDir, p.prefix, 'dists', p.dist, 'InRelease');
    if (!(await stat(inRelease).then((st) => st.isFile(), () => false))) return { ok: false, why: `${p.prefix || '/'} ${p.dist} has no InRelease yet` };
  }
  return { ok: true };
}

/**
 * `debstash serve`: the published APT trees, the signing key, client configuration, and the
 * health endpoints orchestrators wait on. Plain node:http on the static path: no framework
 * between a client and its files.
 */
export async function startServer(ctx: Context, options: ServerOptions): Promise<RunningServer> {
  const root = ctx.publicDir;
  const ready = options.ready ?? (() => publishesReady(ctx));
  const metrics = options.metrics ?? new Metrics();
  const tokens = options.tokens ?? [];
  const logger = options.logger ?? pino({ level: 'silent' });
  const treePolicy = { public: options.public ?? true, tokens };
  const baseUrl = (req: IncomingMessage): string => `http://${req.headers.host ?? `${options.host}:${options.port}`}`;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // The raw path, not WHATWG URL's: that would resolve "/a/../b" and "%2e%2e" silently,
    // and such a request deserves a refusal rather than a quietly different file.
    const path = (req.url ?? '/').split(/[?#]/, 1)[0] ?? '/';
    if (path === '/healthz') return text(res, 200, 'ok\n');
    if (path === '/readyz') {
      const r = await ready().catch((err: unknown) => ({ ok: false, why: `store unreachable: ${String(err)}` }));
      return text(res, r.ok ? 200 : 503, r.ok ? 'ready\n' : `not ready: ${r.why ?? 'unknown'}\n`);
    }
    if (path === '/metrics') return text(res, 200, await metrics.render(ctx), 'text/plain; version=0.0.4; charset=utf-8');
    if (path === '/api' || path.startsWith('/api/')) return handleApi(ctx, req, res, { metrics, tokens, log: logger });
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return text(res, 405, 'method not allowed\n');
    }
    if (path === '/key.asc') {
      const key = await exportPublicKey(ctx.dataDir).catch(() => undefined);
      return key ? text(res, 200, key.armored, 'application/pgp-keys') : text(res, 404, 'no signing key yet\n');
    }
    const client = /^\/client\/(?:(.+)\/)?([^/]+)\.sources$/.exec(path);
    if (client) {
      const sources = await clientConfig(ctx, client[2] ?? '', { url: baseUrl(req), ...(client[1] ? { prefix: client[1] } : {}) }).catch((err: unknown) => {
        if (isDebstashError(err) && err.code === 'DEBSTASH_E_PUBLISH_NOT_FOUND') return undefined;
        throw err;
      });
      return sources ? text(res, 200, sources) : text(res, 404, 'no such publish\n');
    }
    if (!(await treeAccessAllowed(ctx, req, treePolicy))) {
      res.setHeader('WWW-Authenticate', 'Basic realm="debstash", Bearer');
      return text(res, 401, 'a read token is needed\n');
    }
    const tree = resolveTreePath(path);
    if (!tree.ok) return text(res, tree.status, `${tree.why}\n`);
    return serveFile(req, res, root, tree.relative);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) text(res, 500, 'internal error\n');
      else res.destroy();
    });
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Idle keep-alive connections would hold close() open; in-flight ones finish first.
        server.closeIdleConnections();
        setTimeout(() => {
          for (const s of sockets) s.destroy();
        }, 5000).unref();
      }),
  };
}
