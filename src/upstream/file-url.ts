import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { DebstashError } from '../errors/debstash-error.js';
import { cancelledError, httpStatusError } from './upstream-errors.js';

/**
 * `file:` URLs answer like a local web server would: a missing file is a 404 (so that fallbacks
 * such as InRelease → Release work the same), Last-Modified is the mtime.
 */

function fsError(err: unknown, url: string, signal?: AbortSignal): DebstashError {
  if (signal?.aborted === true || (err as { name?: unknown }).name === 'AbortError') return cancelledError(url, err);
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return httpStatusError(url, 404, { errno: code });
  if (code === 'EACCES' || code === 'EPERM') return httpStatusError(url, 403, { errno: code });
  return new DebstashError('DEBSTASH_E_UPSTREAM_UNREACHABLE', `${url}: ${err instanceof Error ? err.message : String(err)}`, { url, errno: code }, { cause: err });
}

function httpDate(mtime: Date): string {
  return new Date(Math.floor(mtime.getTime() / 1000) * 1000).toUTCString();
}

export type FileGetResult = { notModified: true } | { notModified: false; body: Buffer; lastModified: string };

/** Reads a `file:` URL whole; `notModified` when its mtime is not after `lastModified`. */
export async function getFileUrl(url: string, options: { signal?: AbortSignal; lastModified?: string; maxBytes: number }): Promise<FileGetResult> {
  const path = fileURLToPath(url);
  try {
    const st = await stat(path);
    if (!st.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'EISDIR' });
    const lastModified = httpDate(st.mtime);
    if (options.lastModified !== undefined) {
      const since = Date.parse(options.lastModified);
      if (!Number.isNaN(since) && Date.parse(lastModified) <= since) return { notModified: true };
    }
    if (st.size > options.maxBytes) {
      throw new DebstashError('DEBSTASH_E_UPSTREAM_HTTP', `${url}: ${st.size} bytes, more than the ${options.maxBytes} allowed`, { url, maxBytes: options.maxBytes });
    }
    const body = await readFile(path, options.signal === undefined ? {} : { signal: options.signal });
    return { notModified: false, body, lastModified };
  } catch (err) {
    if (err instanceof DebstashError) throw err;
    throw fsError(err, url, options.signal);
  }
}

/** Streams a `file:` URL. */
export async function* fileUrlBody(url: string, signal?: AbortSignal): AsyncGenerator<Uint8Array, void, undefined> {
  const path = fileURLToPath(url);
  const stream = createReadStream(path, signal === undefined ? {} : { signal });
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } catch (err) {
    throw fsError(err, url, signal);
  } finally {
    stream.destroy();
  }
}
