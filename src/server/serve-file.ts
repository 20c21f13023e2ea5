import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Exchange } from './exchange.js';
import type { FileRepresentation } from './file-representation.js';
import { parseRange } from './parse-range.js';

/** Opens the bytes start..end (inclusive) of the represented file, for one that is not in memory. */
export type OpenBody = (start: number, end: number) => Readable;

/**
 * Answers a GET/HEAD about one file version: 304 on a matching ETag or a later
 * If-Modified-Since, a single byte range (206/416), else the whole file, from memory when the
 * representation holds the bytes, else from `open`. Synchronous for a file in memory: the hot
 * path allocates one header list and writes once.
 */
export function answerFile(req: IncomingMessage, res: ServerResponse, rep: FileRepresentation, ex: Exchange, open?: OpenBody): Promise<void> | undefined {
  const idHeader = ['X-Request-Id', ex.id];
  const { headers } = req;
  if (headers['if-none-match'] !== undefined || headers['if-modified-since'] !== undefined) {
    if (isFresh(rep, headers['if-none-match'], headers['if-modified-since'])) {
      res.writeHead(304, rep.commonHeaders.concat(idHeader));
      res.end();
      return undefined;
    }
  }
  const rangeHeader = headers.range;
  const ifRange = headers['if-range'];
  const range = rangeHeader !== undefined && (ifRange === undefined || ifRange === rep.etag) ? parseRange(rangeHeader, rep.size) : undefined;
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
    ex.bytes = body.length;
    res.end(body);
    return undefined;
  }
  if (open === undefined) throw new Error('answerFile: a representation without a body needs a way to open the file');
  const stream = open(start, end);
  stream.on('data', (chunk: Buffer) => (ex.bytes += chunk.length));
  // A client that goes away mid-download is no error of ours: the stream is closed, nothing to report.
  return pipeline(stream, res).catch(() => undefined);
}

/**
 * Dates have whole seconds: a file replaced within the second a client's copy is dated (a
 * publish and a quick switch) would look unmodified. Only a date after the whole second of the
 * modification proves the client's copy is newer, so 304 needs that.
 */
function isFresh(rep: FileRepresentation, inm: string | undefined, ims: string | undefined): boolean {
  if (inm !== undefined) return inm.split(',').some((t) => t.trim() === rep.etag || t.trim() === '*');
  return ims !== undefined && Date.parse(ims) >= rep.modifiedSecondMs + 1000;
}
