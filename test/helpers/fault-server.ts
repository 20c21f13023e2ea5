/**
 * A small static HTTP server for tests of anything that downloads: it serves a directory on
 * 127.0.0.1 (a random port) like a plain archive mirror does (GET, HEAD, single byte ranges,
 * ETag/Last-Modified and 304), and misbehaves on request, per path: error statuses, hanging,
 * truncated bodies, connection resets, slow drips, ignored ranges, other bytes than the file's.
 * It counts requests per path and the most requests it was answering at once.
 *
 *   const server = await FaultServer.start(dir);
 *   server.inject('/dists/x/InRelease', { status: 503, times: 2 }); // two 503s, then the file
 *   server.inject(FaultServer.BY_HASH, { status: 404 });            // no by-hash/ at all
 *   ... fetch from server.url ...
 *   assert.equal(server.count('/dists/x/InRelease'), 3);
 *   await server.close();                                          // also ends hanging requests
 *
 * Faults for a path are used in the order they were injected: each applies to its next `times`
 * matching requests (default: all of them), then the next fault applies, then none.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join, normalize, sep } from 'node:path';
import { parseRange } from '../../src/server/parse-range.js';

export interface Fault {
  /** How many matching requests this fault applies to; default: every one. */
  times?: number;
  /** Answer with this status and a short text body instead of the file. */
  status?: number;
  /** Headers added to a `status` answer (e.g. Retry-After). */
  headers?: Readonly<Record<string, string>>;
  /** Read the request and never answer (until close()). */
  hang?: boolean;
  /** Close the connection with a TCP reset before answering. */
  reset?: boolean;
  /**
   * Send the headers (with the full Content-Length) and only this many bytes of the body, then
   * reset the connection: a body cut off mid-transfer.
   */
  truncateAfter?: number;
  /** Send the body `bytes` at a time, one piece every `everyMs`. */
  drip?: { readonly bytes: number; readonly everyMs: number };
  /** Wait this long before answering (the request counts as in flight meanwhile). */
  delayMs?: number;
  /** Answer a Range request with 200 and the whole file, as servers without range support do. */
  ignoreRange?: boolean;
  /** Serve these bytes instead of the file's (a corrupted or changed file); ETag follows them. */
  body?: Uint8Array;
}

export type PathMatch = string | RegExp | ((path: string) => boolean);

export interface RequestRecord {
  readonly method: string;
  /** URL path, without the query. */
  readonly path: string;
  readonly range: string | undefined;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

interface ActiveFault {
  readonly match: PathMatch;
  readonly fault: Fault;
  left: number;
}

function matches(match: PathMatch, path: string): boolean {
  if (typeof match === 'string') return match === path;
  if (match instanceof RegExp) return match.test(path);
  return match(path);
}

export class FaultServer {
  /** Matches every by-hash path, for `inject(FaultServer.BY_HASH, { status: 404 })`. */
  static readonly BY_HASH = /\/by-hash\//;

  /** `http://127.0.0.1:PORT/`, with the trailing slash. */
  readonly url: string;
  /** Every request received, in order. */
  readonly requests: RequestRecord[] = [];
  /** The most requests being answered at the same time since start or resetStats(). */
  maxInFlight = 0;
  #inFlight = 0;
  readonly #root: string;
  readonly #locate: ((path: string) => Promise<string | null | undefined>) | undefined;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #faults: ActiveFault[] = [];
  #closed = false;

  private constructor(root: string, server: Server, url: string, locate: ((path: string) => Promise<string | null | undefined>) | undefined) {
    this.#root = root;
    this.#locate = locate;
    this.#server = server;
    this.url = url;
  }

  /**
   * Serves `root` on 127.0.0.1 at a free port. `locate` may name the file to send for a URL
   * path instead (e.g. a published pool path through the store's pool view), or null for none
   * (a 404); undefined means the file under `root`.
   */
  static async start(root: string, options: { readonly locate?: (path: string) => Promise<string | null | undefined> } = {}): Promise<FaultServer> {
    const server = createServer();
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const fs = new FaultServer(root, server, `http://127.0.0.1:${port}/`, options.locate);
    server.on('connection', (socket: Socket) => {
      fs.#sockets.add(socket);
      socket.once('close', () => fs.#sockets.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      fs.#handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) {
          res.statusCode = 500;
          res.end(String(err));
        } else {
          res.destroy();
        }
      });
    });
    return fs;
  }

  /** Adds a fault for the paths `match` selects (a path is the URL path, e.g. `/dists/x/InRelease`). */
  inject(match: PathMatch, fault: Fault): void {
    this.#faults.push({ match, fault, left: fault.times ?? Infinity });
  }

  /** Removes every fault. */
  clearFaults(): void {
    this.#faults = [];
  }

  /** Requests received for exactly this path (any method). */
  count(path: string, method?: string): number {
    return this.requests.filter((r) => r.path === path && (method === undefined || r.method === method)).length;
  }

  /** Forgets the requests and the in-flight maximum seen so far. */
  resetStats(): void {
    this.requests.length = 0;
    this.maxInFlight = this.#inFlight;
  }

  /** Connections open right now (idle keep-alive ones included). */
  get openConnections(): number {
    return this.#sockets.size;
  }

  /** Stops listening and destroys every connection, hanging and dripping ones included. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const s of this.#sockets) s.destroy();
    await closed;
  }

  #later(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.#timers.delete(t);
        resolve();
      }, ms);
      this.#timers.add(t);
    });
  }

  #takeFault(path: string): Fault | undefined {
    for (const f of this.#faults) {
      if (f.left > 0 && matches(f.match, path)) {
        f.left--;
        return f.fault;
      }
    }
    return undefined;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const method = req.method ?? 'GET';
    this.requests.push({ method, path, range: req.headers.range, headers: { ...req.headers } });
    this.#inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.#inFlight);
    res.once('close', () => this.#inFlight--);
    // Drain the request so a reset is not mistaken for an upload problem.
    req.resume();

    const fault = this.#takeFault(path) ?? {};
    if (fault.delayMs !== undefined) await this.#later(fault.delayMs);
    if (fault.hang === true) return;
    if (fault.reset === true) {
      req.socket.resetAndDestroy();
      return;
    }
    if (fault.status !== undefined) {
      res.writeHead(fault.status, { 'Content-Type': 'text/plain', ...fault.headers });
      res.end(method === 'HEAD' ? undefined : `fault injected: ${fault.status}\n`);
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' });
      res.end();
      return;
    }

    const located = await this.#locate?.(path);
    if (located === null) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end(method === 'HEAD' ? undefined : 'not found\n');
      return;
    }
    const file = located ?? normalize(join(this.#root, path));
    if (located === undefined && !(file === this.#root || file.startsWith(this.#root.endsWith(sep) ? this.#root : this.#root + sep))) {
      res.writeHead(400);
      res.end();
      return;
    }
    let content: Buffer;
    let mtime: Date;
    try {
      const st = await stat(file);
      if (!st.isFile()) throw Object.assign(new Error('not a file'), { code: 'ENOENT' });
      content = fault.body !== undefined ? Buffer.from(fault.body) : await readFile(file);
      mtime = st.mtime;
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end(method === 'HEAD' ? undefined : 'not found\n');
      return;
    }
    const etag = `"${createHash('sha256').update(content).digest('hex').slice(0, 24)}"`;
    const lastModified = new Date(Math.floor(mtime.getTime() / 1000) * 1000).toUTCString();
    const base = { ETag: etag, 'Last-Modified': lastModified, 'Accept-Ranges': 'bytes', 'Content-Type': 'application/octet-stream' };

    const inm = req.headers['if-none-match'];
    const ims = req.headers['if-modified-since'];
    const notModified =
      inm !== undefined
        ? inm.split(',').some((t) => t.trim() === etag || t.trim() === '*')
        : ims !== undefined && !Number.isNaN(Date.parse(ims)) && Math.floor(mtime.getTime() / 1000) * 1000 <= Date.parse(ims);
    if (notModified) {
      res.writeHead(304, base);
      res.end();
      return;
    }

    let status = 200;
    let start = 0;
    let end = content.length - 1;
    const headers: Record<string, string> = { ...base };
    const rangeHeader = req.headers.range;
    const ifRange = req.headers['if-range'];
    const rangeApplies = ifRange === undefined || ifRange === etag || ifRange === lastModified;
    if (rangeHeader !== undefined && fault.ignoreRange !== true && rangeApplies) {
      const range = parseRange(rangeHeader, content.length);
      if (range === 'unsatisfiable') {
        res.writeHead(416, { ...base, 'Content-Range': `bytes */${content.length}` });
        res.end();
        return;
      }
      if (range !== undefined) {
        status = 206;
        ({ start, end } = range);
        headers['Content-Range'] = `bytes ${start}-${end}/${content.length}`;
      }
    }
    const body = content.subarray(start, end + 1);
    headers['Content-Length'] = String(body.length);
    res.writeHead(status, headers);
    if (method === 'HEAD') {
      res.end();
      return;
    }

    if (fault.truncateAfter !== undefined) {
      const cut = body.subarray(0, fault.truncateAfter);
      res.write(cut, () => {
        // Give the bytes a moment to leave before the reset, or the client may not see them.
        void this.#later(20).then(() => req.socket.resetAndDestroy());
      });
      return;
    }
    if (fault.drip !== undefined) {
      const { bytes, everyMs } = fault.drip;
      for (let at = 0; at < body.length; at += bytes) {
        if (res.destroyed || this.#closed) return;
        res.write(body.subarray(at, at + bytes));
        await this.#later(everyMs);
      }
      res.end();
      return;
    }
    res.end(body);
  }
}
