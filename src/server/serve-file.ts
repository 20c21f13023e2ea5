import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { endWithBody, type Exchange } from './exchange.js';
import type { FileRepresentation } from './file-representation.js';
import { parseHttpDate } from './http-date.js';
import { parseRange } from './parse-range.js';

/**
 * The most bytes one response hands the socket before other requests get a turn: a 10 MiB
 * answer written at once keeps the event loop copying it while 64 small requests wait
 * (their p99 was seconds). Files from disk are read in slices this size (each read a turn of
 * its own); bodies from memory are written a slice at a time, the next after the socket took
 * the last and one event-loop turn.
 */
export const SEND_SLICE = 256 * 2 ** 10;

/** Opens the bytes start..end (inclusive) of the represented file, for one that is not in memory. */
export type OpenBody = (start: number, end: number) => Readable;

/**
 * Answers a GET/HEAD about one file version: 304 when the client's copy is this version (see
 * notModified), a single byte range (206/416) when If-Range, if sent, names this version, else
 * the whole file, from memory when the representation holds the bytes, else from `open`.
 * Synchronous for a file in memory: the hot path allocates one header list and writes once.
 */
export function answerFile(req: IncomingMessage, res: ServerResponse, rep: FileRepresentation, ex: Exchange, open?: OpenBody): Promise<void> | undefined {
  const idHeader = ex.stamp;
  const { headers } = req;
  if ((headers['if-none-match'] !== undefined || headers['if-modified-since'] !== undefined) && notModified(rep, headers['if-none-match'], headers['if-modified-since'])) {
    res.writeHead(304, rep.commonHeaders.concat(idHeader));
    res.end();
    return undefined;
  }
  const rangeHeader = headers.range;
  const ifRange = headers['if-range'];
  const range = rangeHeader !== undefined && (ifRange === undefined || (typeof ifRange === 'string' && namesThisVersion(rep, ifRange))) ? parseRange(rangeHeader, rep.size) : undefined;
  if (range === 'unsatisfiable') {
    res.writeHead(416, rep.commonHeaders.concat('Content-Range', `bytes */${rep.size}`, idHeader));
    res.end();
    return undefined;
  }
  const { start, end } = range ?? { start: 0, end: rep.size - 1 };
  if (range !== undefined) res.writeHead(206, rep.commonHeaders.concat('Content-Range', `bytes ${start}-${end}/${rep.size}`, 'Content-Length', String(end - start + 1), idHeader));
  else res.writeHead(200, rep.fullHeaders.concat(idHeader));
  if (req.method === 'HEAD' || end < start) {
    res.end();
    return undefined;
  }
  if (rep.body !== undefined) {
    const body = range === undefined ? rep.body : rep.body.subarray(start, end + 1);
    if (body.length <= SEND_SLICE) {
      endWithBody(res, ex, body);
      return undefined;
    }
    return writeInSlices(res, ex, body);
  }
  if (open === undefined) throw new Error('answerFile: a representation without a body needs a way to open the file');
  const stream = open(start, end);
  stream.on('data', (chunk: Buffer) => (ex.bytes += chunk.length));
  // A client that goes away mid-download is no error of ours: the stream is closed, nothing to report.
  return pipeline(stream, res).catch(() => undefined);
}

/** Sends `body` SEND_SLICE bytes at a time (see SEND_SLICE); stops when the client goes away. */
async function writeInSlices(res: ServerResponse, ex: Exchange, body: Buffer): Promise<void> {
  for (let at = 0; at < body.length; at += SEND_SLICE) {
    if (res.destroyed) return;
    const slice = body.subarray(at, at + SEND_SLICE);
    ex.bytes += slice.length;
    if (at + SEND_SLICE >= body.length) {
      res.end(slice);
      return;
    }
    const flushed = res.write(slice);
    await new Promise<void>((resolve) => {
      if (flushed) {
        setImmediate(resolve);
        return;
      }
      const done = (): void => {
        res.off('drain', done);
        res.off('close', done);
        setImmediate(resolve);
      };
      res.on('drain', done);
      res.on('close', done);
    });
  }
}

/**
 * RFC 9110 13.2.2: If-None-Match, when sent, decides alone (weak comparison: a tag a proxy
 * marked weak still names these bytes); else If-Modified-Since gives 304 when the file's
 * Last-Modified is not after the date, equal included (apt, proxies and CDNs echo the date
 * they were given). That is sound because a later version at the name always has a later
 * Last-Modified, or none (see lastModifiedSecond); a file without one never matches a date.
 */
function notModified(rep: FileRepresentation, inm: string | undefined, ims: string | undefined): boolean {
  if (inm !== undefined) {
    return inm.split(',').some((t) => {
      const tag = t.trim();
      return tag === '*' || (tag.startsWith('W/') ? tag.slice(2) : tag) === rep.etag;
    });
  }
  const since = ims === undefined ? undefined : parseHttpDate(ims.trim());
  return since !== undefined && rep.lastModifiedMs !== undefined && rep.lastModifiedMs <= since;
}

/**
 * If-Range (RFC 9110 13.1.5): the client's partial copy is this version when the strong tag
 * is equal, or the date is exactly Last-Modified (apt resumes with its partial file's date).
 * Such a date is a strong validator here: no two versions at a name share a Last-Modified.
 */
function namesThisVersion(rep: FileRepresentation, ifRange: string): boolean {
  const v = ifRange.trim();
  return v === rep.etag || (rep.lastModifiedMs !== undefined && parseHttpDate(v) === rep.lastModifiedMs);
}
