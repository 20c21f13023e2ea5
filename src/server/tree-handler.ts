import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ConfiguredToken } from '../auth/configured-token.js';
import { treeAccessAllowed } from '../auth/tree-access.js';
import type { Context } from '../model/context.js';
import { BucketTreeRoute } from './bucket-tree-route.js';
import { ContentCheck } from './content-check.js';
import type { Exchange } from './exchange.js';
import type { FileCacheOptions } from './file-cache.js';
import type { Metrics } from './metrics.js';
import { methodNotAllowed, text } from './plain-answer.js';
import { OnDemandFetcher } from './on-demand-fetch.js';
import { PoolView, splitPoolPath } from './pool-view.js';
import { resolveTreePath } from './resolve-tree-path.js';
import { type ServePool, SnapshotRoute, splitSnapshotPath, treeFiles } from './snapshot-route.js';
import { StaticTree } from './static-tree.js';
import { treeRoute } from './tree-route.js';
import { isUiPath } from './web-ui.js';

export interface TreeHandlerOptions {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly fileCache: FileCacheOptions;
  /** The tree is public unless this is false (then a read token or basic auth is needed). */
  readonly public: boolean;
  readonly tokens: readonly ConfiguredToken[];
  /** With the trees in the bucket: answer pool and by-hash paths with a redirect to a presigned URL. */
  readonly storageRedirect?: boolean;
}

/** Answers a request for a path of the APT tree (one nonTreeRoute leaves undefined). */
export type TreeHandler = (req: IncomingMessage, res: ServerResponse, path: string, ex: Exchange) => Promise<void> | undefined;

/**
 * The APT tree alone: method, read access, path safety, then `PREFIX/pool/…` from the pool
 * view and everything else from `public/` (hot files from memory). Needs nothing of the API,
 * so a worker of `serve --workers` runs it with its own Context.
 */
export function treeHandler(ctx: Context, options: TreeHandlerOptions): TreeHandler {
  const reporting = { logger: options.logger, metrics: options.metrics };
  // One memory of verified file versions for pool and by-hash files alike, so its bound holds
  // for both; one per process (each worker of `serve --workers` checks what it sends).
  const contentCheck = new ContentCheck();
  const tree = new StaticTree(ctx.publicDir, reporting, options.fileCache, contentCheck);
  const onDemand = new OnDemandFetcher(ctx.store, ctx.pool, join(ctx.dataDir, 'cache', 'on-demand'), reporting);
  const poolView = new PoolView(ctx.store, ctx.pool, reporting, options.fileCache, contentCheck, onDemand);
  // With S3 storage the trees are the bucket's, the same for every replica (see BucketTree).
  const objects = ctx.pool.publicObjects?.();
  const bucket = objects === undefined ? undefined : new BucketTreeRoute(objects, ctx.store, reporting, options.fileCache, options.storageRedirect === true);
  const servePool: ServePool =
    bucket !== undefined && options.storageRedirect === true ? (_req, res, where, _relative, ex) => bucket.redirectPool(res, where, ex) : (req, res, where, relative, ex) => poolView.serve(req, res, where, relative, ex);
  const snapshots = new SnapshotRoute(bucket ?? treeFiles(ctx.publicDir, tree), servePool);
  const policy = { public: options.public, tokens: options.tokens };
  return (req, res, path, ex) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      methodNotAllowed(res, ex);
      return undefined;
    }
    // A public tree (the common case) answers a cached file without a promise.
    if (policy.public) return serveTree(req, res, path, ex);
    return treeAccessAllowed(ctx, req, policy).then((allowed) => {
      if (allowed) return serveTree(req, res, path, ex);
      res.setHeader('WWW-Authenticate', 'Basic realm="debstash", Bearer');
      return text(res, ex, 401, 'a read token is needed\n');
    });
  };

  function serveTree(req: IncomingMessage, res: ServerResponse, path: string, ex: Exchange): Promise<void> | undefined {
    const where = resolveTreePath(path);
    if (!where.ok) {
      text(res, ex, where.status, `${where.why}\n`);
      return undefined;
    }
    ex.route = treeRoute(where.relative);
    const snapshot = splitSnapshotPath(where.relative);
    if (snapshot !== undefined) return snapshots.serve(req, res, snapshot, ex);
    const pooled = splitPoolPath(where.relative);
    // Pool paths come from the pool view; one it lacks falls through to the disk, where only
    // a tree published by a debstash from before the view can have it (404 otherwise).
    if (bucket !== undefined) {
      if (pooled === undefined) return bucket.serve(req, res, where.relative, ex);
      return servePool(req, res, pooled, where.relative, ex).then((served) => (served ? undefined : text(res, ex, 404, 'not found\n')));
    }
    if (pooled === undefined) return tree.serve(req, res, where.relative, ex);
    return poolView.serve(req, res, pooled, where.relative, ex).then((served) => (served ? undefined : tree.serve(req, res, where.relative, ex)));
  }
}

/**
 * The route template of a path outside the tree, or undefined for a tree path. The web UI is
 * outside: few requests, answered by the primary of `serve --workers` (WebUi sets the route).
 */
export function nonTreeRoute(path: string): string | undefined {
  if (isUiPath(path)) return '/ui/*';
  if (path === '/healthz' || path === '/readyz' || path === '/metrics' || path === '/key.asc') return path;
  if (path === '/api' || path.startsWith('/api/')) return '/api/*';
  if (path.startsWith('/client/')) return '/client/*';
  return undefined;
}

/**
 * The raw path of a request, not WHATWG URL's: that would resolve "/a/../b" and "%2e%2e"
 * silently, and such a request deserves a refusal rather than a quietly different file.
 */
export function requestPath(req: IncomingMessage): string {
  const url = req.url ?? '/';
  return url.includes('?') || url.includes('#') ? (url.split(/[?#]/, 1)[0] ?? '/') : url;
}
