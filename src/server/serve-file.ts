import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { cacheControl, contentType } from './content-type.js';
import { parseRange } from './parse-range.js';

/**
 * Serves one file of a tree: GET/HEAD, ETag + Last-Modified with 304, a single byte range,
 * content type and cache policy. The file, with symlinks resolved, must lie inside `root`
 * (also resolved): a link pointing out of the tree is a 404, never its target.
 */
export async function serveFile(req: IncomingMessage, res: ServerResponse, root: string, relative: string): Promise<void> {
  let file: string;
  let realRoot: string;
  try {
    [file, realRoot] = await Promise.all([realpath(`${root}/${relative}`), realpath(root)]);
  } catch {
    return notFound(res);
  }
  if (file !== realRoot && !file.startsWith(realRoot + sep)) return notFound(res);
  const st = await stat(file).catch(() => undefined);
  if (st === undefined || !st.isFile()) return notFound(res);

  const etag = `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}-${st.ino.toString(16)}"`;
  const lastModified = new Date(Math.floor(st.mtimeMs / 1000) * 1000).toUTCString();
  res.setHeader('ETag', etag);
  res.setHeader('Last-Modified', lastModified);
  res.setHeader('Cache-Control', cacheControl(relative));
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Content-Type', contentType(relative));

  const inm = req.headers['if-none-match'];
  const ims = req.headers['if-modified-since'];
  // Dates have whole seconds: a file replaced within the second a client's copy is dated
  // (a publish and a quick switch) would look unmodified. Only a date after the whole second
  // of the modification proves the client's copy is newer, so 304 needs that.
  const fresh =
    inm !== undefined
      ? inm.split(',').some((t) => t.trim() === etag || t.trim() === '*')
      : ims !== undefined && Date.parse(ims) >= Math.floor(st.mtimeMs / 1000) * 1000 + 1000;
  if (fresh) {
    res.statusCode = 304;
    res.end();
    return;
  }
  let range: { start: number; end: number } | undefined;
  const rangeHeader = req.headers.range;
  const ifRange = req.headers['if-range'];
  if (rangeHeader !== undefined && (ifRange === undefined || ifRange === etag)) {
    const r = parseRange(rangeHeader, st.size);
    if (r === 'unsatisfiable') {
      res.statusCode = 416;
      res.setHeader('Content-Range', `bytes */${st.size}`);
      res.end();
      return;
    }
    range = r;
  }
  if (range) {
    res.statusCode = 206;
    res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${st.size}`);
    res.setHeader('Content-Length', range.end - range.start + 1);
  } else {
    res.statusCode = 200;
    res.setHeader('Content-Length', st.size);
  }
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  await pipeline(createReadStream(file, range ?? {}), res).catch(() => undefined);
}

function notFound(res: ServerResponse): void {
  res.statusCode = 404;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.end('not found\n');
}
