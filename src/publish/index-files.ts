import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chunkStarts, DEFAULT_CHUNKING, type ChunkingOptions } from './chunking.js';
import { compressChunk, DEFAULT_GZIP_LEVEL, DEFAULT_XZ_PRESET, type ChunkCodecOptions, type CompressedChunk } from './chunk-codec.js';
import { digestOf } from './file-digest.js';
import type { PlannedIndex } from './publish-plan.js';
import type { ChunkRecord, Generation } from './publish-state.js';
import type { FileDigest } from './release-text.js';
import { Semaphore } from '../concurrency/semaphore.js';
import { XzBatcher } from './xz-batcher.js';
import { assembleXzStream, CHECK_CRC64 } from './xz-container.js';

/** One file of the published tree: its digests and, when it must be written, its bytes. */
export interface TreeFile {
  /** Relative to `dists/DIST/`. */
  readonly path: string;
  readonly digest: FileDigest;
  /** The bytes, in pieces; undefined when the same file is already published (by-hash). */
  readonly data: readonly Buffer[] | undefined;
}

/** An index in its three forms, and how much work it took. */
export interface IndexFiles {
  readonly index: PlannedIndex;
  readonly plain: TreeFile;
  readonly gz: TreeFile;
  readonly xz: TreeFile;
  readonly chunks: readonly ChunkRecord[];
  /** Identical to the index of a generation still served: nothing was compressed or needs writing. */
  readonly unchanged: boolean;
  /** Chunks copied from a served generation's files (or shared with another index of this publish). */
  readonly reusedChunks: number;
  /** Chunks compressed now. */
  readonly compressedChunks: number;
}

export interface CodecSettings extends ChunkCodecOptions {
  readonly chunking?: ChunkingOptions;
}

/** Names the settings that decide compressed bytes; chunks are reused only under the same. */
export function codecId(options: CodecSettings): string {
  const c = options.chunking ?? DEFAULT_CHUNKING;
  return `gz${options.gzipLevel ?? DEFAULT_GZIP_LEVEL}.xz${options.xzPreset ?? DEFAULT_XZ_PRESET}.c${c.minBytes}-${c.spanBytes}-${c.softMaxBytes}-${c.maxBytes}`;
}

interface StoredChunk {
  readonly gzFile: string;
  readonly xzFile: string;
  readonly record: ChunkRecord;
}

/**
 * Compressed chunks available for reuse: those of the generations still served (read back from
 * their by-hash files, whose names are their SHA-256, so a damaged file is detected and not
 * used) and those compressed earlier in this publish.
 */
export class ChunkStore {
  readonly #stored = new Map<string, StoredChunk>();
  readonly #files = new Map<string, Promise<Buffer | undefined>>();
  readonly #made = new Map<string, Promise<CompressedChunk>>();
  readonly #xz: XzBatcher;
  readonly #gzipSlots: Semaphore;
  readonly #options: ChunkCodecOptions;

  constructor(distDir: string, generations: readonly Generation[], codec: string, options: ChunkCodecOptions, concurrency: number) {
    this.#xz = new XzBatcher(concurrency);
    this.#gzipSlots = new Semaphore(concurrency);
    this.#options = options;
    for (const g of generations) {
      if (g.codec !== codec) continue;
      for (const [path, records] of Object.entries(g.chunks)) {
        const gz = g.files[`${path}.gz`];
        const xz = g.files[`${path}.xz`];
        if (gz === undefined || xz === undefined) continue;
        const dir = path.slice(0, path.lastIndexOf('/'));
        const byHash = (sha: string): string => join(distDir, dir, 'by-hash', 'SHA256', sha);
        for (const record of records) this.#stored.set(record.h, { gzFile: byHash(gz.sha256), xzFile: byHash(xz.sha256), record });
      }
    }
  }

  #file(path: string): Promise<Buffer | undefined> {
    let p = this.#files.get(path);
    if (p === undefined) {
      p = readFile(path).then(
        (b) => (createHash('sha256').update(b).digest('hex') === path.slice(path.lastIndexOf('/') + 1) ? b : undefined),
        () => undefined,
      );
      this.#files.set(path, p);
    }
    return p;
  }

  async #fromStored(h: string): Promise<CompressedChunk | undefined> {
    const s = this.#stored.get(h);
    if (s === undefined) return undefined;
    const [gz, xz] = await Promise.all([this.#file(s.gzFile), this.#file(s.xzFile)]);
    const { gz: [go, gl], xz: [xo, xl], r } = s.record;
    if (gz === undefined || xz === undefined || go + gl > gz.length || xo + xl > xz.length) return undefined;
    return {
      gz: gz.subarray(go, go + gl),
      xz: { check: CHECK_CRC64, bytes: xz.subarray(xo, xo + xl), records: r.map(([unpadded, uncompressed]) => ({ unpadded, uncompressed })) },
    };
  }

  /**
   * The chunk compressed: reused when possible (`reused`), else compressed now. A chunk asked
   * for again in this publish (another index has it) is compressed once.
   */
  async get(h: string, data: Buffer): Promise<{ chunk: CompressedChunk; reused: boolean }> {
    const made = this.#made.get(h);
    if (made !== undefined) return { chunk: await made, reused: true };
    let reused = false;
    const chunk = (async () => {
      const old = this.#stored.has(h) ? await this.#fromStored(h) : undefined;
      if (old !== undefined) {
        reused = true;
        return old;
      }
      return compressChunk(data, this.#options, this.#xz.blocks, this.#gzipSlots);
    })();
    this.#made.set(h, chunk);
    return { chunk: await chunk, reused };
  }
}

const NEWLINE = Buffer.from('\n');

/**
 * The text of a chunk: its paragraphs each followed by a blank line. Paragraphs that lie one
 * after the other in the previous generation's index (most of an unchanged chunk) are one
 * view of it there, not copied piece by piece.
 */
function joinParagraphs(paragraphs: readonly (string | Buffer)[]): Buffer {
  const pieces: Buffer[] = [];
  let run: Buffer | undefined;
  const flush = (): void => {
    if (run !== undefined) pieces.push(run);
    run = undefined;
  };
  for (const p of paragraphs) {
    if (typeof p === 'string') {
      flush();
      pieces.push(Buffer.from(p, 'utf8'), NEWLINE);
    } else if (run !== undefined && run.buffer === p.buffer && run.byteOffset + run.length === p.byteOffset) {
      // The previous index has exactly one newline after each paragraph: that is the separator.
      run = Buffer.from(p.buffer, run.byteOffset, run.length + p.length + 1);
    } else {
      flush();
      run = Buffer.from(p.buffer, p.byteOffset, p.length + 1);
    }
  }
  flush();
  return pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces);
}

let emptyGzip: Promise<Buffer> | undefined;

/**
 * Makes an index's Packages/Sources, .gz and .xz. The text is cut into content-defined chunks;
 * the .gz is one gzip member per chunk and the .xz one stream with one block per chunk, so a
 * chunk that a generation still served has is copied, not compressed again. An index
 * identical to one of theirs is not even assembled.
 */
export async function makeIndexFiles(
  index: PlannedIndex,
  generations: readonly Generation[],
  codec: string,
  store: ChunkStore,
  chunking: ChunkingOptions = DEFAULT_CHUNKING,
  md5 = false,
): Promise<IndexFiles> {
  const starts = chunkStarts(index.names, index.sizes, chunking);
  const bufs: Buffer[] = [];
  const hashes: string[] = [];
  for (let k = 0; k < starts.length; k++) {
    const buf = joinParagraphs(index.paragraphs.slice(starts[k], starts[k + 1] ?? index.paragraphs.length));
    bufs.push(buf);
    // A chunk the previous generation had byte for byte (a view of its checked file) keeps its hash.
    hashes.push(index.previous?.chunkHash(buf) ?? createHash('sha256').update(buf).digest('hex'));
  }
  const plainDigest = digestOf(bufs, md5);
  const path = index.path;

  // The same index in a generation still served: its compressed files are in by-hash already.
  for (let i = generations.length - 1; i >= 0; i--) {
    const old = generations[i];
    const oldGz = old.files[`${path}.gz`];
    const oldXz = old.files[`${path}.xz`];
    const oldChunks = old.chunks[path];
    if (old.codec !== codec || old.files[path]?.sha256 !== plainDigest.sha256 || oldGz === undefined || oldXz === undefined || oldChunks === undefined) continue;
    if (md5 && (oldGz.md5 === '' || oldXz.md5 === '')) continue;
    return {
      index,
      plain: { path, digest: plainDigest, data: undefined },
      gz: { path: `${path}.gz`, digest: oldGz, data: undefined },
      xz: { path: `${path}.xz`, digest: oldXz, data: undefined },
      chunks: oldChunks,
      unchanged: true,
      reusedChunks: oldChunks.length,
      compressedChunks: 0,
    };
  }

  const got = await Promise.all(bufs.map((b, k) => store.get(hashes[k], b)));
  const reusedChunks = got.filter((g) => g.reused).length;
  const compressed = got.map((g) => g.chunk);
  const chunks: ChunkRecord[] = [];
  let gzAt = 0;
  let xzAt = 12; // after the stream header
  for (let k = 0; k < compressed.length; k++) {
    const c = compressed[k];
    chunks.push({ h: hashes[k], n: bufs[k].length, gz: [gzAt, c.gz.length], xz: [xzAt, c.xz.bytes.length], r: c.xz.records.map((r) => [r.unpadded, r.uncompressed] as const) });
    gzAt += c.gz.length;
    xzAt += c.xz.bytes.length;
  }
  // An empty index still needs a valid gzip file: one member of nothing.
  emptyGzip ??= compressChunk(new Uint8Array(0)).then((c) => c.gz);
  const gzData = compressed.length > 0 ? compressed.map((c) => c.gz) : [await emptyGzip];
  const xzData = assembleXzStream(compressed.map((c) => c.xz));
  return {
    index,
    plain: { path, digest: plainDigest, data: bufs },
    gz: { path: `${path}.gz`, digest: digestOf(gzData, md5), data: gzData },
    xz: { path: `${path}.xz`, digest: digestOf(xzData, md5), data: xzData },
    chunks,
    unchanged: false,
    reusedChunks,
    compressedChunks: compressed.length - reusedChunks,
  };
}
