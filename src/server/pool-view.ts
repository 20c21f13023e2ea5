import { type FileHandle, open } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import type { Pool } from '../pool/pool.js';
import type { PoolViewFile, StoreReader } from '../store/store.js';
import { ContentCheck } from './content-check.js';
import type { Exchange } from './exchange.js';
import { FileCache, type FileCacheOptions } from './file-cache.js';
import { type FileIdentity, representFile, representPoolFile } from './file-representation.js';
import { answerFile, SEND_SLICE } from './serve-file.js';
import type { OnDemandFetcher } from './on-demand-fetch.js';
import { answerTreeDamaged, type DamageReporting } from './tree-damaged.js';

/** Lookups remembered; a hit costs no store query. */
const LOOKUP_LIMIT = 10_000;

/** A published pool path split into its prefix and its path under the prefix (`pool/...`). */
export function splitPoolPath(relative: string): { readonly prefix: string; readonly path: string } | undefined {
  if (relative.startsWith('pool/')) return { prefix: '', path: relative };
  // Prefix segments are never `pool` (publish-names.ts), so the first such segment starts the pool.
  const at = relative.indexOf('/pool/');
  return at < 0 ? undefined : { prefix: relative.slice(0, at), path: relative.slice(at + 1) };
}

/**
 * Answers published `PREFIX/pool/...` paths from the content-addressed pool through the
 * store's pool view (path → SHA-256, size; see Store.poolViewFile): a publish writes no pool
 * tree, so nothing but this knows what a pool path holds.
 *
 * - A lookup is remembered for `recheckMs` (the FileCache's `immutableRecheckMs`, 1 s), like a
 *   stat of a pool/ file: pool paths only appear (before the Release naming them is served)
 *   or vanish (after no kept generation names them), so a second-old answer is never one a
 *   client of a served Release needs. Misses are not remembered: a path a publish just added
 *   is found at once.
 * - The bytes are the pool file's, checked before any is sent: its size against the view's at
 *   every request, its SHA-256 once per file version (ContentCheck: device, inode, size,
 *   mtime, ctime). A missing file is a 500 and a log line coded DEBSTASH_E_POOL_VIEW_BROKEN;
 *   one of another size or hash a 500 coded DEBSTASH_E_TREE_DAMAGED, logged and counted
 *   (tree-damaged.ts); never a 200 of bytes apt would reject.
 */
export class PoolView {
  private readonly lookups = new Map<string, { readonly file: PoolViewFile; readonly at: number }>();

  /** Hot pool files in memory, by their path in the pool (relative to /). */
  private readonly hot: FileCache;
  private readonly recheckMs: number;

  constructor(
    private readonly store: StoreReader,
    private readonly pool: Pool,
    private readonly reporting: DamageReporting,
    cacheOptions: FileCacheOptions,
    private readonly contentCheck = new ContentCheck(),
    /** Fetches files the pool lacks that an on-demand mirror lists. */
    private readonly onDemand?: OnDemandFetcher,
  ) {
    this.recheckMs = cacheOptions.immutableRecheckMs;
    // Stat'ed at every request, not once a second: no byte of a pool file changed in place
    // (damaged) is sent once its version differs from the one whose SHA-256 was checked.
    this.hot = new FileCache('', { ...cacheOptions, immutableRecheckMs: 0 }, true);
  }

  /** Answers for a pool path; resolves false (nothing sent) when the view does not have it. */
  async serve(req: IncomingMessage, res: ServerResponse, where: { readonly prefix: string; readonly path: string }, relative: string, ex: Exchange): Promise<boolean> {
    const file = await this.lookup(where.prefix, where.path);
    if (file === undefined) return false;
    const local = this.pool.localPath(file.sha256);
    if (local === undefined) await this.serveRemote(req, res, file, relative, ex);
    else await this.serveLocal(req, res, file, local, relative, ex);
    return true;
  }

  private async lookup(prefix: string, path: string): Promise<PoolViewFile | undefined> {
    const key = `${prefix}\0${path}`;
    const now = Date.now();
    const hit = this.lookups.get(key);
    if (hit !== undefined && now - hit.at < this.recheckMs) return hit.file;
    this.lookups.delete(key);
    const file = await this.store.poolViewFile(prefix, path);
    if (file !== undefined) remember(this.lookups, key, { file, at: now }, LOOKUP_LIMIT);
    return file;
  }

  private async serveLocal(req: IncomingMessage, res: ServerResponse, file: PoolViewFile, local: string, relative: string, ex: Exchange): Promise<void> {
    const lookedAtMs = Date.now();
    // In memory only once its SHA-256 was checked (below), and served from there only while
    // the pool file is still that version (device, inode, size, mtime, ctime).
    const key = local.slice(1);
    const cached = this.hot.lookup(key);
    if (cached?.body !== undefined && cached.size === file.size) {
      return answerFile(req, res, representPoolFile(relative, file.sha256, cached.identity, lookedAtMs, cached.body), ex);
    }
    let handle: FileHandle;
    try {
      handle = await open(local, 'r');
    } catch (err) {
      return this.missing(req, res, ex, file, relative, (err as NodeJS.ErrnoException).code === 'ENOENT');
    }
    try {
      // The descriptor's own stat: what is checked and sent is this file, whatever the name becomes.
      const st = await handle.stat();
      if (st.size !== file.size) return this.damaged(res, ex, file, relative, `${st.size} bytes in the pool, not ${file.size}`);
      const identity: FileIdentity = { dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs };
      const verified = this.contentCheck.verify({ algorithm: 'sha256', digest: file.sha256 }, identity, handle);
      if (verified !== true && !(await verified)) return this.damaged(res, ex, file, relative, `the pool file ${local} has another SHA-256`);
      const body = this.hot.wants(key, st.size) ? await handle.readFile().catch(() => undefined) : undefined;
      if (body !== undefined && body.length === st.size) {
        this.hot.store(key, representFile(key, st, lookedAtMs, body));
        return await answerFile(req, res, representPoolFile(relative, file.sha256, identity, lookedAtMs, body), ex);
      }
      await answerFile(req, res, representPoolFile(relative, file.sha256, identity, lookedAtMs), ex, (start, end) =>
        handle.createReadStream({ start, end, highWaterMark: SEND_SLICE, autoClose: false }),
      );
    } finally {
      await handle.close();
    }
  }

  /** A pool without local files (S3): it checks content itself; the size is checked here. */
  private async serveRemote(req: IncomingMessage, res: ServerResponse, file: PoolViewFile, relative: string, ex: Exchange): Promise<void> {
    const entry = await this.pool.stat(file.sha256);
    if (entry === undefined) return this.missing(req, res, ex, file, relative, true);
    if (entry.size !== file.size) return this.damaged(res, ex, file, relative, `${entry.size} bytes in the pool, not ${file.size}`);
    const storedAtMs = entry.storedAt?.getTime() ?? 0;
    const identity: FileIdentity = { dev: 0, ino: 0, size: entry.size, mtimeMs: storedAtMs, ctimeMs: storedAtMs };
    // answerFile wants the stream at once; a pass-through is fed once the pool answers.
    await answerFile(req, res, representPoolFile(relative, file.sha256, identity, Date.now()), ex, (start, end) => {
      const out = new PassThrough();
      this.pool.open(file.sha256, { start, end }).then(
        (s) => s.pipe(out),
        (err: unknown) => out.destroy(err instanceof Error ? err : new Error(String(err))),
      );
      return out;
    });
  }

  /** A file the pool lacks: fetched when an on-demand mirror lists it, else a broken view. */
  private async missing(req: IncomingMessage, res: ServerResponse, ex: Exchange, file: PoolViewFile, relative: string, absent: boolean): Promise<void> {
    if (absent && this.onDemand !== undefined && (await this.onDemand.serve(req, res, file, relative, ex))) return;
    this.broken(res, ex, file, relative, absent ? 'missing from the pool' : 'unreadable in the pool');
  }

  private broken(res: ServerResponse, ex: Exchange, file: PoolViewFile, relative: string, why: string): void {
    this.reporting.logger.error({ reqId: ex.id, code: 'DEBSTASH_E_POOL_VIEW_BROKEN', path: relative, sha256: file.sha256, size: file.size }, `published pool file ${relative}: ${why}`);
    res.writeHead(500, ['Content-Type', 'text/plain; charset=utf-8', 'Cache-Control', 'no-cache', ...ex.stamp]);
    res.end('DEBSTASH_E_POOL_VIEW_BROKEN: the pool file is missing\n');
  }

  private damaged(res: ServerResponse, ex: Exchange, file: PoolViewFile, relative: string, why: string): void {
    answerTreeDamaged(res, ex, this.reporting, { path: relative, expected: `sha256:${file.sha256} size:${file.size}`, why });
  }
}

/** Sets `key` as the newest entry, dropping the oldest past `limit` (a Map keeps insertion order). */
function remember<V>(map: Map<string, V>, key: string, value: V, limit: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > limit) {
    const oldest = map.keys().next();
    if (oldest.done !== true) map.delete(oldest.value);
  }
}
