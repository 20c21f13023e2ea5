import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { decompressStream } from '../deb/compression/decompress-stream.js';
import { pipeThrough } from '../deb/compression/pipe-through.js';
import { pickIndexVariant, type IndexVariant, type ReleaseEntry, type ReleaseFile } from '../deb/release.js';
import { DebstashError } from '../errors/debstash-error.js';
import { distUrl } from './dist-url.js';
import { checkArchivePath } from '../deb/archive-path.js';
import type { UpstreamClient } from './http-client.js';
import { IndexCache } from './index-cache.js';
import { cancelledError } from './upstream-errors.js';
import { guardedDecompress } from './index-size-guard.js';

export interface FetchIndexOptions {
  readonly client: UpstreamClient;
  /** The archive root, e.g. what a sources entry's URIs says. */
  readonly baseUrl: string;
  readonly dist: string;
  /** The verified Release of `dist`: the only source of truth for sizes and hashes. */
  readonly release: ReleaseFile;
  /**
   * Keep the compressed files here, named by SHA-256: an index whose hash is already there is
   * not downloaded again. Without it the index streams from the network.
   */
  readonly cacheDir?: string;
  readonly signal?: AbortSignal;
}

/** An index picked from the Release, ready to be read. */
export interface FetchedIndex {
  readonly variant: IndexVariant;
  /**
   * Where the bytes come from: the by-hash or plain URL, or the cached file. When streaming,
   * final only once reading has started (a by-hash 404 switches it to the plain URL).
   */
  readonly from: string;
  /** True when no download was needed. */
  readonly fromCache: boolean;
  /**
   * The uncompressed index, as it is read. From the cache it was verified before this is
   * returned. Streaming from the network it is verified as it passes, and a mismatch (DEBSTASH_E
   * _INDEX_HASH_MISMATCH) is thrown at the end of the iteration: act on what was read only once
   * the iteration has completed. Can be iterated once.
   */
  readonly text: AsyncIterable<Uint8Array>;
}

function byHashUrl(base: string, variant: IndexVariant): string {
  const slash = variant.path.lastIndexOf('/');
  const dir = slash < 0 ? '' : variant.path.slice(0, slash + 1);
  return new URL(`${dir}by-hash/SHA256/${variant.entry.sha256}`, base).href;
}

function indexMismatch(url: string, entry: ReleaseEntry, got: string, cause?: unknown): DebstashError {
  return new DebstashError(
    'DEBSTASH_E_INDEX_HASH_MISMATCH',
    `${url}: expected ${entry.size} bytes with SHA-256 ${entry.sha256} as the Release lists for ${entry.path}, got ${got}`,
    { url, path: entry.path, sha256: entry.sha256, size: entry.size },
    cause === undefined ? undefined : { cause },
  );
}

function isNotFound(err: unknown): boolean {
  return err instanceof DebstashError && err.code === 'DEBSTASH_E_UPSTREAM_HTTP' && (err.details.status === 404 || err.details.status === 410);
}

/**
 * Decompresses `body` (whose first piece is `first`) while checking it against the Release:
 * more bytes than listed fail at once, a wrong size or hash at the end. When the decoder finds
 * the data corrupt first, the rest is still read and checked, so that bytes which are not what
 * the Release lists are reported as such rather than as a corrupt file.
 */
async function* verifiedText(
  first: IteratorResult<Uint8Array>,
  body: AsyncGenerator<Uint8Array, void, undefined>,
  variant: IndexVariant,
  url: string,
  decompress: (bytes: AsyncIterable<Uint8Array>, source: string) => AsyncIterable<Uint8Array>,
  keep?: Uint8Array[],
): AsyncGenerator<Uint8Array, void, undefined> {
  const { entry } = variant;
  const hash = createHash('sha256');
  let size = 0;
  let pending: IteratorResult<Uint8Array> | undefined = first;
  const step = async (): Promise<IteratorResult<Uint8Array>> => {
    let r: IteratorResult<Uint8Array>;
    if (pending !== undefined) {
      r = pending;
      pending = undefined;
    } else {
      try {
        r = await body.next();
      } catch (err) {
        throw asIndexError(err, url, entry);
      }
    }
    if (r.done !== true) {
      size += r.value.byteLength;
      if (size > entry.size) throw indexMismatch(url, entry, `more than ${entry.size} bytes`);
      hash.update(r.value);
      keep?.push(r.value);
    } else {
      if (size !== entry.size) throw indexMismatch(url, entry, `${size} bytes`);
      const actual = hash.digest('hex');
      if (actual !== entry.sha256) throw indexMismatch(url, entry, `SHA-256 ${actual}`);
    }
    return r;
  };
  // Not a for-await over `body`: leaving the decoder early must not close the body, which the
  // corrupt-data path below still reads.
  const pass = async function* (): AsyncGenerator<Uint8Array, void, undefined> {
    for (let r = await step(); r.done !== true; r = await step()) yield r.value;
  };
  try {
    yield* decompress(pass(), `${url} (${variant.path})`);
  } catch (err) {
    if (err instanceof DebstashError && err.code === 'DEBSTASH_E_COMPRESSION_CORRUPT') {
      try {
        while ((await step()).done !== true);
      } catch (mismatch) {
        if (mismatch instanceof DebstashError && mismatch.code === 'DEBSTASH_E_INDEX_HASH_MISMATCH') throw mismatch;
      }
    }
    throw err;
  } finally {
    await body.return();
  }
}

/**
 * Fetches the index `path` (without extension, e.g. `main/binary-amd64/Packages`) of `dist`:
 * the best variant the Release lists (see pickIndexVariant), from `by-hash/SHA256/<hash>`
 * when the Release says Acquire-By-Hash (falling back to the plain path when that is 404), its
 * size and SHA-256 checked against the Release. DEBSTASH_E_INDEX_MISSING when the Release does
 * not list it, DEBSTASH_E_INDEX_HASH_MISMATCH when the bytes differ.
 */
export async function fetchIndex(path: string, options: FetchIndexOptions): Promise<FetchedIndex> {
  const { client, release, signal } = options;
  checkArchivePath(path, release.source);
  const variant = pickIndexVariant(release, path);
  const base = distUrl(options.baseUrl, options.dist);
  const plain = new URL(variant.path, base).href;
  const urls = release.acquireByHash ? [byHashUrl(base, variant), plain] : [plain];
  const decompress = (bytes: AsyncIterable<Uint8Array>, source: string): AsyncIterable<Uint8Array> =>
    guardedDecompress(bytes, (b) => pipeThrough(b, decompressStream(variant.compression, { source })), client.limits, source);

  if (options.cacheDir !== undefined) {
    const cache = await IndexCache.open(options.cacheDir);
    const file = cache.localPath(variant.entry.sha256);
    const held = await cache.holds(variant.entry, signal).catch((err: unknown) => {
      throw signal?.aborted === true ? cancelledError(file, err) : err;
    });
    if (!held) {
      // Not downloaded first and read back: the text streams out while it arrives, and the
      // verified compressed bytes (a few MB) enter the cache once the whole index checked out.
      const keep: Uint8Array[] = [];
      const streamed = streamIndex(urls, client, variant, decompress, signal, keep);
      return fromNetwork(variant, streamed, async function* () {
        yield* streamed.text;
        await cache.put(Readable.from(keep), { sha256: variant.entry.sha256, size: variant.entry.size }, signal);
      }());
    }
    const text = (async function* () {
      try {
        yield* decompress(createReadStream(file, signal === undefined ? {} : { signal }) as AsyncIterable<Buffer>, `${file} (${variant.path})`);
      } catch (err) {
        throw signal?.aborted === true ? cancelledError(file, err) : err;
      }
    })();
    return { variant, from: file, fromCache: true, text };
  }

  const streamed = streamIndex(urls, client, variant, decompress, signal);
  return fromNetwork(variant, streamed, streamed.text);
}

function fromNetwork(variant: IndexVariant, streamed: { from(): string }, text: AsyncIterable<Uint8Array>): FetchedIndex {
  return {
    variant,
    get from() {
      return streamed.from();
    },
    fromCache: false,
    text,
  };
}

/** The index from the first of `urls` that exists, verified as it passes (see verifiedText). */
function streamIndex(
  urls: readonly string[],
  client: UpstreamClient,
  variant: IndexVariant,
  decompress: (bytes: AsyncIterable<Uint8Array>, source: string) => AsyncIterable<Uint8Array>,
  signal: AbortSignal | undefined,
  keep?: Uint8Array[],
): { text: AsyncIterable<Uint8Array>; from(): string } {
  let from = urls[0] ?? '';
  const text = (async function* () {
    for (const [i, url] of urls.entries()) {
      const body = client.body(url, { ...(signal ? { signal } : {}), expectedSize: variant.entry.size });
      // The first piece tells whether the URL exists; nothing is passed on before it arrives.
      let first: IteratorResult<Uint8Array>;
      try {
        first = await body.next();
      } catch (err) {
        if (isNotFound(err) && i < urls.length - 1) continue;
        throw asIndexError(err, url, variant.entry);
      }
      from = url;
      yield* verifiedText(first, body, variant, url, decompress, keep);
      return;
    }
  })();
  return { text, from: () => from };
}

/** The body's early size check speaks of the pool; for an index it is an index mismatch. */
function asIndexError(err: unknown, url: string, entry: ReleaseEntry): unknown {
  if (err instanceof DebstashError && err.code === 'DEBSTASH_E_POOL_HASH_MISMATCH') {
    const what = err.message.startsWith(`${url}: `) ? err.message.slice(url.length + 2) : err.message;
    return indexMismatch(url, entry, what.replace(/^expected \d+ bytes, got /, ''), err);
  }
  return err;
}
