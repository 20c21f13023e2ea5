import { type FileHandle, open, realpath } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sep } from 'node:path';
import type { Exchange } from './exchange.js';
import { DEFAULT_FILE_CACHE, FileCache, type FileCacheOptions } from './file-cache.js';
import { type FileRepresentation, representFile, sameIdentity } from './file-representation.js';
import { answerFile } from './serve-file.js';

/** Large reads per chunk: a 10 MiB file in ten reads rather than 160. */
const STREAM_CHUNK = 2 ** 20;

/**
 * The files of a published tree: hot ones from memory (see FileCache), the others streamed
 * from disk. A file is served only when, with symlinks resolved, it lies inside the root (also
 * resolved): a link pointing out of the tree is a 404, never its target.
 */
export class StaticTree {
  private readonly cache: FileCache;
  /** Reads in progress into the cache, so that 64 clients asking at once read a file once. */
  private readonly loading = new Map<string, Promise<FileRepresentation | undefined>>();

  constructor(
    private readonly root: string,
    cacheOptions: FileCacheOptions = DEFAULT_FILE_CACHE,
  ) {
    this.cache = new FileCache(root, cacheOptions);
  }

  /** Answers for `relative` (already checked by resolveTreePath); synchronous when the file is cached. */
  serve(req: IncomingMessage, res: ServerResponse, relative: string, ex: Exchange): Promise<void> | undefined {
    const rep = this.cache.lookup(relative);
    return rep !== undefined ? answerFile(req, res, rep, ex) : this.serveFromDisk(req, res, relative, ex);
  }

  private async serveFromDisk(req: IncomingMessage, res: ServerResponse, relative: string, ex: Exchange): Promise<void> {
    const handle = await this.openInside(relative);
    if (handle === undefined) return notFound(res, ex);
    try {
      // The descriptor's own stat: the validators describe exactly the bytes read from it,
      // even when a publish renames another file over the name meanwhile.
      const st = await handle.stat();
      if (!st.isFile()) return notFound(res, ex);
      const cached = this.cache.wants(relative, st.size) ? await this.load(relative, handle, st) : undefined;
      if (cached !== undefined) return await answerFile(req, res, cached, ex);
      await answerFile(req, res, representFile(relative, st), ex, (start, end) =>
        handle.createReadStream({ start, end, highWaterMark: STREAM_CHUNK, autoClose: false }),
      );
    } finally {
      await handle.close();
    }
  }

  private async openInside(relative: string): Promise<FileHandle | undefined> {
    try {
      const [file, realRoot] = await Promise.all([realpath(`${this.root}/${relative}`), realpath(this.root)]);
      if (file !== realRoot && !file.startsWith(realRoot + sep)) return undefined;
      return await open(file, 'r');
    } catch {
      return undefined;
    }
  }

  private async load(relative: string, handle: FileHandle, st: Stats): Promise<FileRepresentation | undefined> {
    const pending = this.loading.get(relative);
    if (pending !== undefined) {
      const rep = await pending;
      // Another reader may have met another version of the name.
      return rep !== undefined && sameIdentity(rep.identity, st) ? rep : undefined;
    }
    const reading = handle.readFile().then(
      (body) => {
        if (body.length !== st.size) return undefined;
        const rep = representFile(relative, st, body);
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

function notFound(res: ServerResponse, ex: Exchange): void {
  res.writeHead(404, ['Content-Type', 'text/plain; charset=utf-8', 'Cache-Control', 'no-cache', 'X-Request-Id', ex.id]);
  res.end('not found\n');
}
