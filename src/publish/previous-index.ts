import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChunkRecord, Generation } from './publish-state.js';

/** A paragraph of a binary index the previous generation published, as its bytes there. */
export interface PreviousParagraph {
  readonly name: string;
  readonly version: string;
  readonly architecture: string;
  /** The paragraph with its one final newline (a view into the previous index file). */
  readonly bytes: Buffer;
  /** Its Filename: the package's pool path in this prefix. */
  readonly filename: string;
  /** Its length in UTF-16 code units plus one, as chunking counts a paragraph. */
  readonly size: number;
}

/** One binary index of the previous generation, read back and checked against its hash. */
export interface PreviousIndex {
  /**
   * Its paragraphs by the SHA-256 of the package file each shows (a flat string of the store
   * is a fast key; a key made of pieces of the index text was not). A package is the one a
   * paragraph shows when its name, version and architecture match too.
   */
  readonly paragraphs: ReadonlyMap<string, PreviousParagraph>;
  /** The SHA-256 of `view` when it is exactly one of this file's chunks (so it is not hashed again), else undefined. */
  chunkHash(view: Buffer): string | undefined;
}

/** The paragraph `index` has for the package of `kind`'s index, or undefined. */
export function previousParagraph(index: PreviousIndex | undefined, p: { readonly name: string; readonly version: string; readonly architecture: string; readonly files: readonly { readonly sha256: string }[] }): PreviousParagraph | undefined {
  const old = index?.paragraphs.get(p.files[0]?.sha256 ?? '');
  return old !== undefined && old.name === p.name && old.version === p.version && old.architecture === p.architecture ? old : undefined;
}

/** Where the value of field `name` (given with its ": ") is in `para`: [start, end), or undefined. */
function field(para: string, name: string): [number, number] | undefined {
  let line = 0;
  if (!para.startsWith(name)) {
    line = para.indexOf(`\n${name}`) + 1;
    if (line === 0) return undefined;
  }
  const from = line + name.length;
  return [from, para.indexOf('\n', from)];
}

/**
 * Splits a Packages file this publisher wrote (paragraphs each followed by one blank line)
 * into its paragraphs. A paragraph lacking one of the fields is left out: it is rendered
 * again, which is always correct.
 *
 * Reusing a paragraph for a package of the same identity (kind, fixed by the index; name,
 * version, architecture and file SHA-256, as packageKey) is sound because a publish renders a
 * package's paragraph only from its stored stanza, which is a function of its identity (the
 * store keeps one, never changed, per identity), and from the component, which the index path
 * fixes.
 */
function splitPreviousIndex(bytes: Buffer, chunks: readonly ChunkRecord[] = []): PreviousIndex {
  // latin1: one character per byte, so positions in the text are byte offsets.
  const text = bytes.toString('latin1');
  const ascii = isAscii(bytes);
  const encoding = ascii ? 'latin1' : 'utf8';
  const out = new Map<string, PreviousParagraph>();
  for (let at = 0; at < text.length; ) {
    const blank = text.indexOf('\n\n', at);
    if (blank < 0) break;
    const para = text.slice(at, blank + 1);
    // Values as pieces of the text where it is ASCII (cheap), decoded from the bytes where it
    // is not; the key alone is a string of its own, which is much faster to look up.
    const value = (name: string, own = false): string | undefined => {
      const where = field(para, name);
      if (where === undefined) return undefined;
      return (own || !ascii ? bytes.toString(encoding, at + where[0], at + where[1]) : para.slice(where[0], where[1])).trim();
    };
    const sha256 = value('SHA256: ', true);
    const name = value('Package: ');
    const version = value('Version: ');
    const architecture = value('Architecture: ');
    const filename = value('Filename: ');
    if (name && version && architecture && sha256 && filename && !out.has(sha256)) {
      const view = bytes.subarray(at, blank + 1);
      out.set(sha256, { name, version, architecture, bytes: view, filename, size: (ascii ? view.length : view.toString('utf8').length) + 1 });
    }
    at = blank + 2;
  }
  // Where each chunk starts in the file: its records list them in order with their sizes.
  const chunkAt = new Map<number, ChunkRecord>();
  let offset = 0;
  for (const c of chunks) {
    chunkAt.set(offset, c);
    offset += c.n;
  }
  return {
    paragraphs: out,
    chunkHash: (view) => {
      if (view.buffer !== bytes.buffer || offset !== bytes.length) return undefined;
      const c = chunkAt.get(view.byteOffset - bytes.byteOffset);
      return c !== undefined && c.n === view.length ? c.h : undefined;
    },
  };
}

/**
 * The binary indexes the newest kept generation published, read back from their by-hash
 * files; a file that is missing or does not hash to its name is not used (its packages are
 * rendered again). Keyed by index path.
 */
export async function readPreviousIndexes(distDir: string, previous: Generation | undefined, paths: readonly string[]): Promise<Map<string, PreviousIndex>> {
  const out = new Map<string, PreviousIndex>();
  if (previous === undefined) return out;
  await Promise.all(
    paths.map(async (path) => {
      const sha256 = previous.files[path]?.sha256;
      if (sha256 === undefined) return;
      const bytes = await readFile(join(distDir, path.slice(0, path.lastIndexOf('/')), 'by-hash', 'SHA256', sha256)).catch(() => undefined);
      if (bytes === undefined || createHash('sha256').update(bytes).digest('hex') !== sha256) return;
      out.set(path, splitPreviousIndex(bytes, previous.chunks[path]));
    }),
  );
  return out;
}
