/**
 * Shell patterns with the meaning of Go's filepath.Match on Unix, which aptly uses for `%`:
 * `*` is any run of characters except `/`, `?` one character except `/`, `[...]` a class
 * (negated with `^`, not `!`; it may match `/`), `\` quotes the next character. The whole value
 * must match.
 *
 * Matching is Go's algorithm, not a regexp: the pattern is cut into chunks (a run of `*`, then
 * fixed-width items up to the next `*`) and each chunk takes the leftmost place where it fits,
 * never revisited. That costs at most value length × pattern length, where a translation to
 * `[^/]*` groups backtracks polynomially (`*a*a*a*a*b` on 200 a's took 19 s). It is also what
 * Go answers where a backtracking match would differ: `*a[^z]*c` does not match `aa/c`, since
 * the first chunk takes `aa` and the `*` after it cannot cross the `/`.
 *
 * Two differences from Go, both deliberate. Go reports a malformed pattern (unclosed `[`, `[]`,
 * `[-a]`, a trailing `\`) by failing every match; here it is an error instead, so a typo does
 * not silently select nothing. And Go steps over bytes when it retries a chunk after `*`, so
 * `?` can match a piece of a multibyte character (Go finds `日*???` in `日本語`); here
 * characters stay whole.
 */

type GlobItem =
  | { readonly kind: 'char'; readonly cp: number }
  | { readonly kind: 'any' }
  | { readonly kind: 'class'; readonly negated: boolean; readonly ranges: ReadonlyArray<readonly [number, number]> };

/** Go's scanChunk: whether a `*` run comes first, then the fixed-width items after it. */
interface Chunk {
  readonly star: boolean;
  readonly items: readonly GlobItem[];
  /** The first item when it is a plain character, to find candidate places with indexOf. */
  readonly lead: string | undefined;
}

export type GoGlobResult =
  | { readonly ok: true; readonly test: (value: string) => boolean }
  | { readonly ok: false; readonly message: string };

const SLASH = 0x2f;

export function compileGoGlob(pattern: string): GoGlobResult {
  const chunks = parseChunks(pattern);
  if (typeof chunks === 'string') return { ok: false, message: chunks };
  return { ok: true, test: (value) => matchChunks(chunks, value) };
}

/** The pattern's chunks, or why Go would call it ErrBadPattern. */
function parseChunks(pattern: string): Chunk[] | string {
  const cps = Array.from(pattern, (ch) => ch.codePointAt(0) ?? 0);
  let i = 0;

  /** Go's getEsc: one class character, possibly quoted; `-` and `]` must be quoted. */
  const classChar = (): number | string => {
    const c = cps[i];
    if (c === undefined) return 'the character class is not closed with "]"';
    if (c === 0x2d || c === 0x5d) return `"${String.fromCodePoint(c)}" must be written "\\${String.fromCodePoint(c)}" here`;
    if (c === 0x5c) {
      i++;
      if (cps[i] === undefined) return 'it ends with a lone "\\"';
    }
    const value = cps[i]!;
    i++;
    if (cps[i] === undefined) return 'the character class is not closed with "]"';
    return value;
  };

  const chunks: Chunk[] = [];
  while (i < cps.length) {
    let star = false;
    while (cps[i] === 0x2a /* * */) {
      star = true;
      i++;
    }
    const items: GlobItem[] = [];
    while (i < cps.length && cps[i] !== 0x2a) {
      const c = cps[i]!;
      i++;
      if (c === 0x3f /* ? */) {
        items.push({ kind: 'any' });
      } else if (c === 0x5b /* [ */) {
        const negated = cps[i] === 0x5e; /* ^ */
        if (negated) i++;
        const ranges: Array<readonly [number, number]> = [];
        while (!(cps[i] === 0x5d && ranges.length > 0)) {
          const lo = classChar();
          if (typeof lo === 'string') return lo;
          let hi = lo;
          if (cps[i] === 0x2d /* - */) {
            i++;
            const h = classChar();
            if (typeof h === 'string') return h;
            hi = h;
          }
          // Go accepts a reversed range and lets it match nothing.
          ranges.push([lo, hi]);
        }
        i++; // ]
        items.push({ kind: 'class', negated, ranges });
      } else if (c === 0x5c /* \ */) {
        if (cps[i] === undefined) return 'it ends with a lone "\\"';
        items.push({ kind: 'char', cp: cps[i]! });
        i++;
      } else {
        items.push({ kind: 'char', cp: c });
      }
    }
    const first = items[0];
    // A lone surrogate could be found inside a pair, where no character starts.
    const lead = first?.kind === 'char' && !(first.cp >= 0xd800 && first.cp <= 0xdfff) ? String.fromCodePoint(first.cp) : undefined;
    chunks.push({ star, items, lead });
  }
  return chunks;
}

function width(cp: number): number {
  return cp > 0xffff ? 2 : 1;
}

/** Go's matchChunk: where `items` matched at `pos` end in `value`, or -1. */
function matchChunk(items: readonly GlobItem[], value: string, pos: number): number {
  let at = pos;
  for (const item of items) {
    if (at >= value.length) return -1;
    const cp = value.codePointAt(at)!;
    switch (item.kind) {
      case 'char':
        if (cp !== item.cp) return -1;
        break;
      case 'any':
        if (cp === SLASH) return -1;
        break;
      case 'class':
        if (inClass(item.ranges, cp) === item.negated) return -1;
        break;
    }
    at += width(cp);
  }
  return at;
}

function inClass(ranges: ReadonlyArray<readonly [number, number]>, cp: number): boolean {
  for (const [lo, hi] of ranges) if (lo <= cp && cp <= hi) return true;
  return false;
}

/**
 * Go's Match loop over the chunks, with the places it would try narrowed to those that can
 * succeed: a chunk after `*` starts between `pos` and the next `/` (the `*` cannot take one),
 * and the last chunk only where it ends the value.
 */
function matchChunks(chunks: readonly Chunk[], value: string): boolean {
  let pos = 0;
  for (let c = 0; c < chunks.length; c++) {
    const { star, items, lead } = chunks[c]!;
    const last = c === chunks.length - 1;
    if (!star) {
      pos = matchChunk(items, value, pos);
      if (pos < 0 || (last && pos !== value.length)) return false;
      continue;
    }
    const slash = value.indexOf('/', pos);
    const limit = slash < 0 ? value.length : slash;
    // A trailing `*` takes the rest of the value unless it holds a `/`.
    if (items.length === 0) return limit === value.length;
    if (last) {
      const start = backFromEnd(value, items.length);
      return start >= pos && start <= limit && matchChunk(items, value, start) === value.length;
    }
    pos = leftmost(items, lead, value, pos, limit);
    if (pos < 0) return false;
  }
  return pos === value.length;
}

/** Where the first place `items` match, starting from `from` to `limit`, ends; or -1. */
function leftmost(items: readonly GlobItem[], lead: string | undefined, value: string, from: number, limit: number): number {
  for (let at = from; at <= limit; ) {
    if (lead !== undefined) {
      at = value.indexOf(lead, at);
      if (at < 0 || at > limit) return -1;
    }
    const end = matchChunk(items, value, at);
    if (end >= 0) return end;
    if (at === value.length) break;
    at += width(value.codePointAt(at)!);
  }
  return -1;
}

/** The index `count` characters before the end of `value`, or -1 if it is shorter. */
function backFromEnd(value: string, count: number): number {
  let at = value.length;
  for (let n = 0; n < count; n++) {
    if (at <= 0) return -1;
    const low = value.charCodeAt(at - 1);
    const high = at >= 2 ? value.charCodeAt(at - 2) : 0;
    at -= low >= 0xdc00 && low <= 0xdfff && high >= 0xd800 && high <= 0xdbff ? 2 : 1;
  }
  return at;
}
