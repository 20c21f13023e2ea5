/**
 * Content-defined chunks of an index, so that a small change to a large index changes few
 * chunks and only those are compressed again (see docs/publish.md, "Incremental publish").
 *
 * An index is a list of stanzas sorted by package name. A chunk may end only between two
 * different names (all stanzas of a name stay together), and whether it ends before name N
 * depends only on N, on the size of the stanza before it and on how large the chunk has grown:
 * a cut is taken before N with a probability proportional to that stanza's size, decided by a
 * hash of N, once the chunk holds `minBytes`. Inserting or removing a package therefore changes
 * the chunk that holds it (and, rarely, the next one or two, until the cuts fall in step again),
 * never the cuts everywhere after it as fixed-size chunks would.
 */
export interface ChunkingOptions {
  /** No cut before a chunk has this many bytes. */
  readonly minBytes: number;
  /** Average bytes after minBytes before a cut (the chunk average is minBytes + this). */
  readonly spanBytes: number;
  /** Past this size cuts become 8 times likelier. */
  readonly softMaxBytes: number;
  /** Past this size the chunk ends at the next name. */
  readonly maxBytes: number;
}

/** ~512 KiB chunks: one costs ~0.1 s to recompress at xz -3 and ~0.25 s at xz -6. */
export const DEFAULT_CHUNKING: ChunkingOptions = {
  minBytes: 128 * 1024,
  spanBytes: 384 * 1024,
  softMaxBytes: 1024 * 1024,
  maxBytes: 2 * 1024 * 1024,
};

/** FNV-1a over the UTF-16 code units, then murmur3's finalizer: a 32-bit hash with good low bits. */
export function nameHash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Where chunks start: indexes into `names` (the first is always 0; none for an empty list).
 * `names[i]` is the package name of stanza i, `sizes[i]` its size in bytes.
 */
export function chunkStarts(names: readonly string[], sizes: readonly number[], options: ChunkingOptions = DEFAULT_CHUNKING): number[] {
  if (names.length === 0) return [];
  const starts = [0];
  let size = sizes[0];
  for (let i = 1; i < names.length; i++) {
    if (names[i] !== names[i - 1] && size >= options.minBytes) {
      let cut = size >= options.maxBytes;
      if (!cut) {
        const scale = size >= options.softMaxBytes ? 8 : 1;
        // P(cut) = scale * sizes[i-1] / spanBytes, compared in 32-bit hash space.
        cut = nameHash(names[i]) < Math.min(1, (scale * sizes[i - 1]) / options.spanBytes) * 0x1_0000_0000;
      }
      if (cut) {
        starts.push(i);
        size = 0;
      }
    }
    size += sizes[i];
  }
  return starts;
}
