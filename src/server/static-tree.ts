import { type FileHandle, open, realpath } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sep } from 'node:path';
import type { Logger } from 'pino';
import { isErrno } from '../publish/tree-files.js';
import { byHashDigest } from './by-hash-guard.js';
import { ContentCheck } from './content-check.js';
import { endWithBody, type Exchange } from './exchange.js';
import { DEFAULT_FILE_CACHE, FileCache, type FileCacheOptions } from './file-cache.js';
import { type FileRepresentation, representFile, sameIdentity } from './file-representation.js';
import type { Metrics } from './metrics.js';
import { answerFile, SEND_SLICE } from './serve-file.js';
import { answerTreeDamaged } from './tree-damaged.js';

/** Seconds a client is asked to wait after a 503: descriptor pressure (EMFILE) passes as downloads end. */
const RETRY_AFTER_S = 5;

/** Where a file that exists but cannot be opened is reported. */
export interface TreeReporting {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/**
 * The files of a published tree: hot ones from memory (see FileCache), the others streamed
 * from disk. A file is served only when, with symlinks resolved, it lies inside the root (also
 * resolved): a link pointing out of the tree is a 404, never its target. A name that leads to
 * no file is a 404; one the server may not read a 403; any other failure to open it (EMFILE,
 * ENFILE, EIO...) a 503, logged and counted (see answerUnreadable). A `by-hash/` file is named by
 * its hash: one whose bytes no longer hash to its name is a 500 (answerTreeDamaged), checked
 * once per file version (ContentCheck).
 */
export class StaticTree {
  private readonly cache: FileCache;
  /** Reads in progress into the cache, so that 64 clients asking at once read a file once. */
  private readonly loading = new Map<string, Promise<FileRepresentation | undefined>>();

  constructor(
    private readonly root: string,
    private readonly reporting: TreeReporting,
    cacheOptions: FileCacheOptions = DEFAULT_FILE_CACHE,
    private readonly contentCheck = new ContentCheck(),
  ) {
    this.cache = new FileCache(root, cacheOptions);
  }

  /** Answers for `relative` (already checked by resolveTreePath); synchronous when the file is cached. */
  serve(req: IncomingMessage, res: ServerResponse, relative: string, ex: Exchange): Promise<void> | undefined {
    const rep = this.cache.lookup(relative);
    return rep !== undefined ? answerFile(req, res, rep, ex) : this.serveFromDisk(req, res, relative, ex);
  }

  private async serveFromDisk(req: IncomingMessage, res: ServerResponse, relative: string, ex: Exchange): Promise<void> {
    // Taken before the look: Last-Modified needs the version to have been in place by then.
    const lookedAtMs = Date.now();
    let handle: FileHandle | undefined;
    try {
      handle = await this.openInside(relative);
    } catch (err) {
      return this.answerUnreadable(res, ex, relative, err);
    }
    if (handle === undefined) return plainAnswer(res, ex, 404, 'not found\n');
    try {
      // The descriptor's own stat: the validators describe exactly the bytes read from it,
      // even when a publish renames another file over the name meanwhile.
      const st = await handle.stat();
      if (!st.isFile()) return plainAnswer(res, ex, 404, 'not found\n');
      const expected = byHashDigest(relative);
      if (expected !== undefined) {
        const verified = this.contentCheck.verify(expected, st, handle);
        if (verified !== true && !(await verified)) {
          return answerTreeDamaged(res, ex, this.reporting, { path: relative, expected: `${expected.algorithm}:${expected.digest}`, why: 'its bytes no longer hash to its by-hash name' });
        }
      }
      const rep = representFile(relative, st, lookedAtMs);
      // A version too recent for a Last-Modified is not kept: its cached headers would never gain one.
      const cached = rep.lastModifiedMs !== undefined && this.cache.wants(relative, st.size) ? await this.load(relative, handle, st, lookedAtMs) : undefined;
      if (cached !== undefined) return await answerFile(req, res, cached, ex);
      await answerFile(req, res, rep, ex, (start, end) =>
        handle.createReadStream({ start, end, highWaterMark: SEND_SLICE, autoClose: false }),
      );
    } finally {
      await handle.close();
    }
  }

  /** The open file, undefined when the name leads to no file inside the tree; throws any other failure. */
  private async openInside(relative: string): Promise<FileHandle | undefined> {
    try {
      const [file, realRoot] = await Promise.all([realpath(`${this.root}/${relative}`), realpath(this.root)]);
      if (file !== realRoot && !file.startsWith(realRoot + sep)) return undefined;
      return await open(file, 'r');
    } catch (err) {
      // No such name, a file used as a directory, a symlink loop, a name too long to exist:
      // nothing to serve. (Removed between realpath and open by a publish: the same.)
      if (isErrno(err, 'ENOENT', 'ENOTDIR', 'ELOOP', 'ENAMETOOLONG')) return undefined;
      throw err;
    }
  }

  /**
   * A file that is there but cannot be opened. Permissions (EACCES, EPERM) are a 403: the
   * file exists (the tree is no secret) and waiting will not help until an operator fixes
   * them, which a 404 would hide from both apt's user and the operator. Anything else
   * (EMFILE, ENFILE, EIO...) is the server's trouble, often passing: a 503 with Retry-After,
   * never a 404, which apt would take for a file missing from the publish.
   */
  answerUnreadable(res: ServerResponse, ex: Exchange, relative: string, err: unknown): void {
    const errno = (err as NodeJS.ErrnoException | undefined)?.code ?? 'unknown';
    const forbidden = errno === 'EACCES' || errno === 'EPERM';
    const code = forbidden ? 'DEBSTASH_E_TREE_FORBIDDEN' : 'DEBSTASH_E_TREE_UNAVAILABLE';
    this.reporting.metrics.observeTreeOpenError(errno);
    this.reporting.logger[forbidden ? 'warn' : 'error']({ reqId: ex.id, code, errno, path: relative, err }, 'a file of the tree cannot be opened');
    if (forbidden) plainAnswer(res, ex, 403, `${code}: the server may not read this file\n`);
    else plainAnswer(res, ex, 503, `${code}: the file cannot be read now (${errno}), try again later\n`, ['Retry-After', String(RETRY_AFTER_S)]);
  }

  private async load(relative: string, handle: FileHandle, st: Stats, lookedAtMs: number): Promise<FileRepresentation | undefined> {
    const pending = this.loading.get(relative);
    if (pending !== undefined) {
      const rep = await pending;
      // Another reader may have met another version of the name.
      return rep !== undefined && sameIdentity(rep.identity, st) ? rep : undefined;
    }
    const reading = handle.readFile().then(
      (body) => {
        if (body.length !== st.size) return undefined;
        const rep = representFile(relative, st, lookedAtMs, body);
        this.cache.store(relative, rep);
        return rep;
      },
      () => undefined,
    );
    this.loading.set(relative, reading);
    try {
      return await reading;
    } finally {
      this.loading.delete(relative);
    }
  }
}

function plainAnswer(res: ServerResponse, ex: Exchange, status: number, text: string, extra: readonly string[] = []): void {
  res.writeHead(status, ['Content-Type', 'text/plain; charset=utf-8', 'Cache-Control', 'no-cache', ...ex.stamp, ...extra]);
  endWithBody(res, ex, text);
}
