// Declared before the class, whose static block sets `makeFromRanges`.

/** Marks construction by `paragraphFromRanges`; never exposed. */
const RANGES: readonly string[] = Object.freeze([]);

let makeFromRanges: (
  names: readonly string[],
  line: number,
  src: string,
  ranges: Int32Array,
  base: number,
  extras: readonly string[] | undefined,
) => Paragraph;
let readRanges: (p: Paragraph) => ParagraphRanges | undefined;

/**
 * One deb822 paragraph (a stanza of a Packages, Sources, Release, control or .sources file).
 *
 * Value convention (what the parser produces and the serializer accepts): the text after
 * `Name:` with the blanks around the first line removed; each continuation line is appended as
 * `'\n' + line`, the line kept verbatim (leading blank included) except its trailing blanks.
 * So `Files:\n abc 12 f` has the value `'\n abc 12 f'`, and a Description keeps its ` .` lines.
 *
 * Names are compared without regard to ASCII case, as Policy 5.1 says, but kept as written.
 *
 * Memory layout: a full Packages index is over a million fields, and a consumer usually keeps
 * every paragraph but reads only a few fields of each. So a parsed paragraph holds no string per
 * field: its values stay as [start, end) offsets into the parser's text, in an Int32Array the
 * parser shares among many paragraphs, and are sliced out when asked for. Its `names` array is
 * shared (frozen) with every paragraph that has the same fields in the same order. That keeps
 * the garbage collector from copying ~20 small objects per paragraph. A consequence: values
 * are private state, so compare paragraphs with `equals` or `[...p]`; `assert.deepEqual` on
 * two Paragraphs sees only their names and lines.
 */
export class Paragraph {
  /** Field names as written, in order. Do not modify: it may be shared. */
  readonly names: readonly string[];
  /** 1-based line where the paragraph starts in its source; 0 if built in code. */
  readonly line: number;

  /** The values, when given as strings or once materialized by `values`. */
  #values: readonly string[] | undefined;
  /** Otherwise field i is src.slice(ranges[base + 2i], ranges[base + 2i + 1]), or extras[-start - 1] if start < 0. */
  #src: string;
  #ranges: Int32Array | undefined;
  #base: number;
  #extras: readonly string[] | undefined;

  /**
   * Takes ownership of the arrays (no copy: do not change them afterwards). Nothing is checked
   * here beyond the lengths, so that building stays cheap; the serializer rejects names and
   * values that would not read back the same.
   */
  constructor(names: readonly string[], values: readonly string[], line = 0) {
    if (values !== RANGES && names.length !== values.length) {
      throw new RangeError(`Paragraph: ${names.length} names but ${values.length} values`);
    }
    this.names = names;
    this.line = line;
    this.#values = values === RANGES ? undefined : values;
    this.#src = '';
    this.#ranges = undefined;
    this.#base = 0;
    this.#extras = undefined;
  }

  static {
    makeFromRanges = (names, line, src, ranges, base, extras) => {
      const p = new Paragraph(names, RANGES, line);
      p.#src = src;
      p.#ranges = ranges;
      p.#base = base;
      p.#extras = extras;
      return p;
    };
    readRanges = (p) =>
      p.#ranges === undefined ? undefined : { src: p.#src, ranges: p.#ranges, base: p.#base, extras: p.#extras };
  }

  /** Builds a paragraph from `[name, value]` pairs or a record, in their order. */
  static from(fields: Iterable<readonly [string, string]> | Readonly<Record<string, string>>, line = 0): Paragraph {
    const names: string[] = [];
    const values: string[] = [];
    const pairs: Iterable<readonly [string, string]> = isIterable(fields) ? fields : Object.entries(fields);
    for (const [name, value] of pairs) {
      names.push(name);
      values.push(value);
    }
    return new Paragraph(names, values, line);
  }

  /** Field values, parallel to `names` (built on first use for a parsed paragraph; prefer `get`). */
  get values(): readonly string[] {
    this.#values ??= this.#copyValues();
    return this.#values;
  }

  #copyValues(): string[] {
    const values: string[] = [];
    for (let i = 0; i < this.names.length; i++) values.push(this.valueAt(i));
    return values;
  }

  get size(): number {
    return this.names.length;
  }

  /** Value of the field at `index` (0 <= index < size). */
  valueAt(index: number): string {
    if (!(index >= 0 && index < this.names.length)) {
      throw new RangeError(`Paragraph.valueAt: index ${index} is not below ${this.names.length}`);
    }
    if (this.#values !== undefined) return this.#values[index];
    const ranges = this.#ranges as Int32Array;
    const at = this.#base + 2 * index;
    const start = ranges[at];
    return start >= 0 ? this.#src.slice(start, ranges[at + 1]) : (this.#extras as readonly string[])[-start - 1];
  }

  /** Position of the field (case-insensitive), or -1. */
  indexOf(name: string): number {
    const names = this.names;
    // Nearly every lookup uses the canonical spelling, so an exact pass first saves folding.
    for (let i = 0; i < names.length; i++) if (names[i] === name) return i;
    for (let i = 0; i < names.length; i++) if (sameNameIgnoringCase(names[i], name)) return i;
    return -1;
  }

  get(name: string): string | undefined {
    const i = this.indexOf(name);
    return i < 0 ? undefined : this.valueAt(i);
  }

  has(name: string): boolean {
    return this.indexOf(name) >= 0;
  }

  /**
   * A copy with the field set: replaced in place (taking the new spelling of the name) if it
   * exists, appended otherwise.
   */
  with(name: string, value: string): Paragraph {
    const i = this.indexOf(name);
    const names = this.names.slice();
    const values = this.#copyValues();
    if (i < 0) {
      names.push(name);
      values.push(value);
    } else {
      names[i] = name;
      values[i] = value;
    }
    return new Paragraph(names, values, this.line);
  }

  /** A copy without the field (or this paragraph itself if it has no such field). */
  without(name: string): Paragraph {
    const i = this.indexOf(name);
    if (i < 0) return this;
    const names = this.names.slice();
    const values = this.#copyValues();
    names.splice(i, 1);
    values.splice(i, 1);
    return new Paragraph(names, values, this.line);
  }

  /** Same fields (names as written, in order) and values; `line` is not compared. */
  equals(other: Paragraph): boolean {
    if (other.names.length !== this.names.length) return false;
    for (let i = 0; i < this.names.length; i++) {
      if (other.names[i] !== this.names[i] || other.valueAt(i) !== this.valueAt(i)) return false;
    }
    return true;
  }

  /** Fields as a plain object keyed by the names as written (null prototype: names are data). */
  toRecord(): Record<string, string> {
    const record: Record<string, string> = Object.create(null) as Record<string, string>;
    for (let i = 0; i < this.names.length; i++) record[this.names[i]] = this.valueAt(i);
    return record;
  }

  /** JSON shows the fields, which live in private state. */
  toJSON(): Record<string, string> {
    return this.toRecord();
  }

  *[Symbol.iterator](): IterableIterator<[string, string]> {
    for (let i = 0; i < this.names.length; i++) yield [this.names[i], this.valueAt(i)];
  }
}

/**
 * For the parser: a paragraph whose value i is `src.slice(ranges[base + 2i], ranges[base + 2i + 1])`,
 * or `extras[-ranges[base + 2i] - 1]` when that start is negative (values that are not one
 * stretch of `src`). The caller must not change the used part of `ranges` afterwards.
 */
export function paragraphFromRanges(
  names: readonly string[],
  line: number,
  src: string,
  ranges: Int32Array,
  base: number,
  extras: readonly string[] | undefined,
): Paragraph {
  return makeFromRanges(names, line, src, ranges, base, extras);
}

/** How a parsed paragraph keeps its values: the arguments `paragraphFromRanges` was given. */
export interface ParagraphRanges {
  readonly src: string;
  readonly ranges: Int32Array;
  readonly base: number;
  readonly extras: readonly string[] | undefined;
}

/**
 * The values of a parsed paragraph as `paragraphFromRanges` took them, or undefined for one
 * built from strings. For passing paragraphs between threads without a string per field.
 */
export function rangesOf(p: Paragraph): ParagraphRanges | undefined {
  return readRanges(p);
}

function isIterable(x: object): x is Iterable<readonly [string, string]> {
  return typeof (x as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function';
}

/** ASCII case folding only: field names are ASCII, and Unicode folding would make `K` (Kelvin) equal `k`. */
export function sameNameIgnoringCase(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const lx = x | 0x20;
    if (lx !== (y | 0x20) || lx < 0x61 || lx > 0x7a) return false;
  }
  return true;
}
