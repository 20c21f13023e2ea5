import { Buffer, isAscii, isUtf8 } from 'node:buffer';
import { DebstashError } from '../errors/debstash-error.js';
import { Paragraph, paragraphFromRanges } from './paragraph.js';
import {
  completeEnd,
  decodeBinary,
  firstInvalidUtf8,
  nonAsciiCharOffsets,
  nonAsciiOffsets,
  sequenceLength,
} from './utf8-bytes.js';

export interface Deb822Options {
  /** `#` at column 0 starts a comment line (debian/control, .sources). Default false. */
  comments?: boolean;
  /**
   * Largest paragraph accepted, newlines included, default 32 MiB; above it
   * DEBSTASH_E_DEB822_TOO_LARGE. Streams count UTF-8 bytes and enforce it while the paragraph is
   * still arriving. parseDeb822, given a string, counts its UTF-16 code units (the same for
   * ASCII, never more than the bytes).
   */
  maxParagraphBytes?: number;
  /** File name for error messages. */
  source?: string;
  /**
   * Streaming only: bytes gathered before decoding and scanning, default 1 MiB. Big batches
   * become strings outside the garbage-collected heap; smaller ones yield paragraphs sooner.
   */
  batchBytes?: number;
}

const DEFAULT_MAX_PARAGRAPH = 32 * 1024 * 1024;
/**
 * Bounds on what is remembered about field names per parse. Real files have a few dozen names
 * and a few thousand field orders; the bounds only keep hostile input (a million made-up names)
 * from growing the tables or the searches without limit. Past them parsing is just slower.
 */
const NAME_CACHE_LIMIT = 4096;
const ORDER_NODE_LIMIT = 1 << 16;
const ORDER_FANOUT_LIMIT = 32;
const ORDER_DEPTH_LIMIT = 256;
/** Value ranges are stored in shared Int32Arrays of up to this many entries (two per field). */
const RANGES_BLOCK = 1 << 16;
/** Above Node's threshold (about 1 MB) for making a Latin-1 string external, i.e. off the heap. */
const DEFAULT_BATCH = 1 << 20;

const NL = 0x0a;
const SPACE = 0x20;
const TAB = 0x09;
const CR = 0x0d;
const HASH = 0x23;
const HYPHEN = 0x2d;
const COLON = 0x3a;

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB || c === CR;
}

/**
 * The field names and field orders seen in one parse. Files repeat a few orders, so the next
 * field is nearly always a kid of the current node of the order tree, and checking those few
 * names in place spares slicing, hashing and duplicate checks (a path is free of duplicates,
 * since it was checked when built); paragraphs ending on the same node share one frozen
 * `names` array. Everything the per-field check touches is in small typed arrays, since
 * chasing objects all over the heap for each of a million fields costs more than the check.
 *
 * Names have ids, and ids have case-insensitive groups for duplicate detection.
 * Node 0 is the root (no field); a node's kids are a linked list, most recently matched first.
 */
class FieldOrders {
  readonly idName: string[] = [];
  readonly idGroup: number[] = [];
  private readonly nameIds = new Map<string, number>();
  private readonly groupIds = new Map<string, number>();
  private nameStart = new Int32Array(64);
  private nameLen = new Int32Array(64);
  private nameChars = new Uint8Array(1024);
  private nameCharsUsed = 0;

  private nodes = 1;
  private nodeName = new Int32Array(256).fill(-1);
  private nodeParent = new Int32Array(256).fill(-1);
  private nodeDepth = new Int32Array(256);
  private nodeFirstKid = new Int32Array(256).fill(-1);
  private nodeNext = new Int32Array(256).fill(-1);
  private nodeKids = new Int32Array(256);
  private readonly nodeNames: (readonly string[] | undefined)[] = [];

  /** The kid of `node` whose name is followed by ':' at `pos` in `text`, or -1. */
  match(text: string, pos: number, node: number): number {
    const nodeName = this.nodeName;
    const nodeNext = this.nodeNext;
    const nameLen = this.nameLen;
    let prev = -1;
    for (let k = this.nodeFirstKid[node]; k >= 0; k = nodeNext[k]) {
      const id = nodeName[k];
      const n = nameLen[id];
      if (text.charCodeAt(pos + n) === COLON) {
        const chars = this.nameChars;
        const start = this.nameStart[id];
        let j = 0;
        while (j < n && text.charCodeAt(pos + j) === chars[start + j]) j++;
        if (j === n) {
          if (prev >= 0) {
            nodeNext[prev] = nodeNext[k];
            nodeNext[k] = this.nodeFirstKid[node];
            this.nodeFirstKid[node] = k;
          }
          return k;
        }
      }
      prev = k;
    }
    return -1;
  }

  /** Length of the name of the field at `node`. */
  nameLengthAt(node: number): number {
    return this.nameLen[this.nodeName[node]];
  }

  /** Id of a known name, or -1. */
  idOf(name: string): number {
    return this.nameIds.get(name) ?? -1;
  }

  /** Registers a valid name; -1 if the table is full. */
  add(name: string): number {
    if (this.idName.length >= NAME_CACHE_LIMIT || name.length > 255) return -1;
    const lower = name.toLowerCase();
    let group = this.groupIds.get(lower);
    if (group === undefined) {
      group = this.groupIds.size;
      this.groupIds.set(lower, group);
    }
    const id = this.idName.length;
    if (id === this.nameStart.length) {
      this.nameStart = grow(this.nameStart, id * 2, 0);
      this.nameLen = grow(this.nameLen, id * 2, 0);
    }
    if (this.nameCharsUsed + name.length > this.nameChars.length) {
      const bigger = new Uint8Array(Math.max(this.nameChars.length * 2, this.nameCharsUsed + name.length));
      bigger.set(this.nameChars);
      this.nameChars = bigger;
    }
    this.nameStart[id] = this.nameCharsUsed;
    this.nameLen[id] = name.length;
    for (let i = 0; i < name.length; i++) this.nameChars[this.nameCharsUsed++] = name.charCodeAt(i);
    // Own copy, so that the interned name does not keep a whole batch of text alive.
    const own = name.length > 12 ? Buffer.from(name, 'latin1').toString('latin1') : name;
    this.nameIds.set(own, id);
    this.idName.push(own);
    this.idGroup.push(group);
    return id;
  }

  /** Group of a name not in the table (to be checked against the groups of those that are), or -1. */
  groupOf(lowerName: string): number {
    return this.groupIds.get(lowerName) ?? -1;
  }

  /** A new kid of `node` for name `id`; -1 past the bounds. */
  addKid(node: number, id: number): number {
    const full = this.nodes >= ORDER_NODE_LIMIT;
    if (full || this.nodeKids[node] >= ORDER_FANOUT_LIMIT || this.nodeDepth[node] >= ORDER_DEPTH_LIMIT) return -1;
    const kid = this.nodes++;
    if (kid === this.nodeName.length) {
      const size = kid * 2;
      this.nodeName = grow(this.nodeName, size, -1);
      this.nodeParent = grow(this.nodeParent, size, -1);
      this.nodeDepth = grow(this.nodeDepth, size, 0);
      this.nodeFirstKid = grow(this.nodeFirstKid, size, -1);
      this.nodeNext = grow(this.nodeNext, size, -1);
      this.nodeKids = grow(this.nodeKids, size, 0);
    }
    this.nodeName[kid] = id;
    this.nodeParent[kid] = node;
    this.nodeDepth[kid] = this.nodeDepth[node] + 1;
    this.nodeNext[kid] = this.nodeFirstKid[node];
    this.nodeFirstKid[node] = kid;
    this.nodeKids[node]++;
    return kid;
  }

  /** Whether a field of this group is on the path to `node`. */
  pathHasGroup(node: number, group: number): boolean {
    for (let at = node; at > 0; at = this.nodeParent[at]) if (this.idGroup[this.nodeName[at]] === group) return true;
    return false;
  }

  /** Groups of the fields on the path to `node`. */
  pathGroups(node: number): number[] {
    const groups: number[] = [];
    for (let at = node; at > 0; at = this.nodeParent[at]) groups.push(this.idGroup[this.nodeName[at]]);
    return groups;
  }

  /** Field names on the path to `node`. */
  pathNames(node: number): string[] {
    const names: string[] = [];
    for (let at = node; at > 0; at = this.nodeParent[at]) names.push(this.idName[this.nodeName[at]]);
    return names.reverse();
  }

  /** The shared names array of paragraphs ending at `node`. */
  namesAt(node: number): readonly string[] {
    let names = this.nodeNames[node];
    if (names === undefined) {
      names = Object.freeze(this.pathNames(node));
      this.nodeNames[node] = names;
    }
    return names;
  }
}

function grow(a: Int32Array, size: number, fill: number): Int32Array<ArrayBuffer> {
  const bigger = new Int32Array(size);
  if (fill !== 0) bigger.fill(fill, a.length);
  bigger.set(a);
  return bigger;
}

/**
 * Line scanner shared by the string and the stream parser. It is fed "texts": the whole input,
 * or, when streaming, batches of it; a text may end inside a line only when more input
 * follows, and then the caller hands that partial line back, completed, as a later text.
 *
 * When streaming, texts are binary strings (UTF-8 bytes read as Latin-1, see utf8-bytes.ts)
 * along with the offsets of their non-ASCII bytes: a value that holds any is decoded into a
 * string of its own, the others are ASCII and so the same in both readings.
 *
 * No string is made per field. A value is normally one stretch of the text (a whole Description
 * included), recorded as a range for the Paragraph to slice when asked. Only when the stretch is
 * broken (trailing blanks to drop, a comment in between, the end of a text) is the value built
 * as a string, in `acc`, and stored among the paragraph's extras.
 */
class Deb822Scanner {
  private readonly binary: boolean;
  private readonly comments: boolean;
  private readonly maxChars: number;
  private readonly source: string | undefined;

  /** Paragraphs completed and not yet handed out. */
  readonly out: Paragraph[] = [];
  /** Number of the next line to scan (1-based). */
  lineNo = 1;

  private text = '';
  /** Identifies `text`, so that a value range never spans two texts. */
  private gen = 0;
  /** Non-ASCII offsets of a binary `text`; nextHigh is at or before the first one not yet passed. */
  private highs: readonly number[] = NO_HIGHS;
  private highAt = 0;
  private nextHigh = Infinity;

  // The open paragraph; paraLine is 0 when none is open. Once a field is seen the last field
  // stays open until the next field or the end of the paragraph.
  private paraLine = 0;
  private paraStart = 0; // where it starts in `text` (or where `text` starts, if earlier)
  private paraChars = 0; // its length in earlier texts
  /** Where the paragraph is in the tree of field orders; -1 once it left the tree. */
  private order = -1;
  /** Names of the paragraph once it left the tree. */
  private readonly curNames: string[] = [];
  private nf = 0; // fields so far
  private extras: string[] | null = null;
  private ranges = new Int32Array(256);
  private base = 0; // where the paragraph's ranges start in `ranges`

  // The open field: acc + text.slice(rs, re) while rgen === gen, else acc.
  private fieldOpen = false;
  private accUsed = false;
  private acc = '';
  private rgen = -1;
  private rs = 0;
  private re = 0;

  private readonly orders = new FieldOrders();
  // Off the order tree, duplicates are found by stamping each name group with the paragraph's
  // number, and names that did not fit the table by a set.
  private readonly groupStamp: number[] = [];
  private paraSeq = 1;
  private extraNames: Set<string> | null = null;

  constructor(options: Deb822Options, binary: boolean) {
    this.binary = binary;
    this.comments = options.comments === true;
    const max = options.maxParagraphBytes ?? DEFAULT_MAX_PARAGRAPH;
    if (!(max > 0)) throw new RangeError(`maxParagraphBytes must be positive, got ${max}`);
    this.maxChars = max;
    this.source = options.source;
  }

  /**
   * Scans `text` from `start`. Unless `final`, stops before a trailing incomplete line and
   * returns where it starts; the caller must put it in front of what follows.
   */
  scan(text: string, start: number, final: boolean, highs: readonly number[] = NO_HIGHS): number {
    this.text = text;
    this.gen++;
    this.highs = highs;
    this.highAt = 0;
    this.nextHigh = highs.length > 0 ? highs[0] : Infinity;
    if (this.paraLine !== 0) this.paraStart = start;
    const len = text.length;
    const comments = this.comments;
    let pos = start;
    while (pos < len) {
      let nl = text.indexOf('\n', pos);
      if (nl < 0) {
        if (!final) break;
        nl = len;
      }
      // Checked before the line is read, as a stream must check a line before it has all of it.
      if (nl - pos >= this.maxChars) this.tooLarge();
      const c = text.charCodeAt(pos);
      if (c === SPACE || c === TAB) {
        if (this.fieldOpen && pos + 1 < nl && !isBlank(text.charCodeAt(pos + 1))) {
          // The usual continuation line: trim its end, which is usually already trimmed.
          let e = nl;
          while (isBlank(text.charCodeAt(e - 1))) e--;
          this.continuation(pos, e);
        } else {
          this.blankOrContinuation(pos, nl);
        }
      } else if (nl === pos || c === CR) {
        this.blankOrContinuation(pos, nl);
      } else if (c !== HASH || !comments) {
        this.field(pos, nl);
      }
      // Comment lines fall through: skipped, and they neither open nor close a paragraph.
      if (this.paraLine !== 0 && this.paraChars + (nl - this.paraStart) >= this.maxChars) this.tooLarge();
      pos = nl + 1;
      this.lineNo++;
    }
    if (final) {
      this.endParagraph();
      return len;
    }
    if (this.paraLine !== 0) {
      this.detachFromText();
      this.paraChars += pos - this.paraStart;
    }
    return pos;
  }

  /**
   * Throws if an incomplete line of `pending` chars is already too long. (Whether it makes the
   * paragraph too large is known only once the line is whole: it may turn out blank.)
   */
  checkPending(pending: number): void {
    if (pending >= this.maxChars) this.tooLarge();
  }

  /** A line starting with a blank or CR, or empty: a paragraph separator if it is all blank. */
  private blankOrContinuation(pos: number, nl: number): void {
    const text = this.text;
    let e = nl;
    while (e > pos && isBlank(text.charCodeAt(e - 1))) e--;
    if (e === pos) {
      this.endParagraph();
    } else if (text.charCodeAt(pos) === CR) {
      this.syntax(`line ${this.lineNo}: line starts with a carriage return`);
    } else if (!this.fieldOpen) {
      this.syntax(`line ${this.lineNo}: continuation line before any field`);
    } else {
      this.continuation(pos, e);
    }
  }

  private field(pos: number, nl: number): void {
    const node = this.paraLine === 0 ? 0 : this.order;
    if (node >= 0) {
      const kid = this.orders.match(this.text, pos, node);
      if (kid >= 0) {
        this.openField(pos, pos + this.orders.nameLengthAt(kid), nl);
        this.order = kid;
        return;
      }
    }
    this.unexpectedField(node, pos, nl);
  }

  /** A field that is not next in any order seen yet: check it fully, and extend the tree. */
  private unexpectedField(node: number, pos: number, nl: number): void {
    const text = this.text;
    const colon = text.indexOf(':', pos);
    if (colon < 0 || colon >= nl) {
      if (text.charCodeAt(pos) === HASH) {
        this.syntax(`line ${this.lineNo}: line starts with '#' but comments are not allowed in this file`);
      }
      this.syntax(`line ${this.lineNo}: line has no ':' (it is neither "Field: value" nor a continuation)`);
    }
    const orders = this.orders;
    let name = text.slice(pos, colon);
    let id = orders.idOf(name);
    if (id < 0) {
      this.validateName(name);
      id = orders.add(name);
    }
    if (id >= 0) name = orders.idName[id];
    if (node >= 0 && id >= 0) {
      if (orders.pathHasGroup(node, orders.idGroup[id])) this.duplicate(name);
      const kid = orders.addKid(node, id);
      if (kid >= 0) {
        this.openField(pos, colon, nl);
        this.order = kid;
        return;
      }
    }
    if (node >= 0) this.leaveOrder(node);
    const lower = name.toLowerCase();
    const group = id >= 0 ? orders.idGroup[id] : orders.groupOf(lower);
    if (group >= 0) {
      if (this.groupStamp[group] === this.paraSeq) this.duplicate(name);
      this.stamp(group);
    } else {
      // Once the table is full no group is added, so a name is either in a group or in the set.
      this.extraNames ??= new Set();
      if (this.extraNames.has(lower)) this.duplicate(name);
      this.extraNames.add(lower);
    }
    this.openField(pos, colon, nl);
    this.curNames.push(name);
  }

  /** The paragraph takes a field order too rare to remember: track its names the slow way. */
  private leaveOrder(node: number): void {
    this.order = -1;
    this.curNames.length = 0;
    this.curNames.push(...this.orders.pathNames(node));
    for (const group of this.orders.pathGroups(node)) this.stamp(group);
  }

  private stamp(group: number): void {
    while (this.groupStamp.length <= group) this.groupStamp.push(0);
    this.groupStamp[group] = this.paraSeq;
  }

  /** Starts the field whose name ends at `colon` on the line [pos, nl). */
  private openField(pos: number, colon: number, nl: number): void {
    if (this.fieldOpen) {
      this.finishField();
    } else if (this.paraLine === 0) {
      this.paraLine = this.lineNo;
      this.paraStart = pos;
      this.paraChars = 0;
    }
    if (this.base + 2 * this.nf + 2 > this.ranges.length) this.growRanges();
    this.nf++;
    const text = this.text;
    let vs = colon + 1;
    while (vs < nl && isBlank(text.charCodeAt(vs))) vs++;
    let ve = nl;
    while (ve > vs && isBlank(text.charCodeAt(ve - 1))) ve--;
    this.fieldOpen = true;
    this.accUsed = false;
    this.acc = '';
    this.rgen = this.gen;
    this.rs = vs;
    this.re = ve;
  }

  private continuation(ls: number, le: number): void {
    if (this.rgen === this.gen) {
      // The previous line ended right where the range did: nothing to drop in between.
      if (this.re + 1 === ls) {
        this.re = le;
        return;
      }
      this.acc += this.text.slice(this.rs, this.re);
    }
    this.acc += '\n';
    this.accUsed = true;
    this.rgen = this.gen;
    this.rs = ls;
    this.re = le;
  }

  private finishField(): void {
    const at = this.base + 2 * (this.nf - 1);
    if (!this.accUsed && this.rgen === this.gen) {
      if (this.re > this.nextHigh && this.hasHigh(this.rs, this.re)) {
        this.addExtra(at, decodeBinary(this.text.slice(this.rs, this.re)));
      } else {
        this.ranges[at] = this.rs;
        this.ranges[at + 1] = this.re;
      }
    } else {
      let value = this.rgen === this.gen ? this.acc + this.text.slice(this.rs, this.re) : this.acc;
      if (this.binary && HIGH_CHAR.test(value)) value = decodeBinary(value);
      this.addExtra(at, value);
    }
    this.fieldOpen = false;
    this.acc = '';
    this.rgen = -1;
  }

  /** Whether [from, to) holds a non-ASCII byte; calls come in increasing `from` order. */
  private hasHigh(from: number, to: number): boolean {
    const highs = this.highs;
    let i = this.highAt;
    while (i < highs.length && highs[i] < from) i++;
    this.highAt = i;
    this.nextHigh = i < highs.length ? highs[i] : Infinity;
    return this.nextHigh < to;
  }

  private addExtra(at: number, value: string): void {
    const extras = (this.extras ??= []);
    extras.push(value);
    this.ranges[at] = -extras.length;
    this.ranges[at + 1] = 0;
  }

  /** Before `text` is dropped: the open paragraph's values so far become strings. */
  private detachFromText(): void {
    const text = this.text;
    const last = this.base + 2 * (this.nf - 1);
    for (let at = this.base; at < last; at += 2) {
      const s = this.ranges[at];
      if (s >= 0) this.addExtra(at, text.slice(s, this.ranges[at + 1]));
    }
    if (this.rgen === this.gen) {
      this.acc += text.slice(this.rs, this.re);
      this.accUsed = true;
      this.rgen = -1;
    }
  }

  private endParagraph(): void {
    if (this.fieldOpen) this.finishField();
    if (this.paraLine === 0) return;
    const names = this.order >= 0 ? this.orders.namesAt(this.order) : this.curNames.slice();
    this.out.push(paragraphFromRanges(names, this.paraLine, this.text, this.ranges, this.base, this.extras ?? undefined));
    this.base += 2 * this.nf;
    this.nf = 0;
    this.curNames.length = 0;
    this.extras = null;
    this.paraLine = 0;
    this.paraSeq++;
    this.order = -1;
    this.extraNames = null;
  }

  /** Moves the open paragraph's ranges to a fresh block; earlier paragraphs keep the old one. */
  private growRanges(): void {
    const used = 2 * this.nf;
    const size = Math.max(Math.min(this.ranges.length * 2, RANGES_BLOCK), used * 2);
    const next = new Int32Array(size);
    next.set(this.ranges.subarray(this.base, this.base + used));
    this.ranges = next;
    this.base = 0;
  }

  /** Policy 5.1: US-ASCII without controls, space and colon; not starting with '#' or '-'. */
  private validateName(name: string): void {
    if (name.length === 0) this.syntax(`line ${this.lineNo}: field name is empty`);
    for (let i = 0; i < name.length; i++) {
      const c = name.charCodeAt(i);
      if (c < 0x21 || c > 0x7e) {
        const what =
          c === SPACE || c === TAB
            ? 'a blank'
            : c > 0x7e && (this.binary || c > 0xff)
              ? 'a non-ASCII character'
              : `character U+${c.toString(16).padStart(4, '0').toUpperCase()}`;
        this.syntax(`line ${this.lineNo}: field name ${JSON.stringify(clip(this.readable(name)))} contains ${what}`, name);
      }
    }
    const first = name.charCodeAt(0);
    if (first === HYPHEN || first === HASH) {
      this.syntax(`line ${this.lineNo}: field name ${JSON.stringify(clip(name))} starts with '${name[0]}'`, name);
    }
  }

  /** A name as the user wrote it (binary text holds UTF-8 bytes, valid by now). */
  private readable(name: string): string {
    return this.binary ? decodeBinary(name) : name;
  }

  private where(): string {
    return this.source === undefined ? '' : `${this.source}: `;
  }

  private syntax(message: string, field?: string): never {
    throw new DebstashError('DEBSTASH_E_DEB822_SYNTAX', this.where() + message, {
      line: this.lineNo,
      field: field === undefined ? undefined : clip(this.readable(field)),
      source: this.source,
    });
  }

  private duplicate(name: string): never {
    const lower = name.toLowerCase();
    const seen = this.order >= 0 ? this.orders.pathNames(this.order) : this.curNames;
    const first = seen.find((n) => n.toLowerCase() === lower) ?? name;
    throw new DebstashError(
      'DEBSTASH_E_DEB822_DUPLICATE_FIELD',
      `${this.where()}line ${this.lineNo}: field ${JSON.stringify(clip(name))} repeats ` +
        `${JSON.stringify(first)} of the paragraph starting at line ${this.paraLine}`,
      { line: this.lineNo, field: clip(name), source: this.source },
    );
  }

  tooLarge(): never {
    const line = this.paraLine !== 0 ? this.paraLine : this.lineNo;
    throw new DebstashError(
      'DEBSTASH_E_DEB822_TOO_LARGE',
      `${this.where()}line ${line}: paragraph is larger than ${this.maxChars} bytes`,
      { line, limit: this.maxChars, source: this.source },
    );
  }

  encoding(why: string): never {
    throw new DebstashError('DEBSTASH_E_ENCODING', `${this.where()}line ${this.lineNo}: text is not valid UTF-8 (${why})`, {
      line: this.lineNo,
      source: this.source,
    });
  }
}

/** Keeps hostile names out of messages in full. */
function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}

const NO_HIGHS: readonly number[] = Object.freeze([]);
const HIGH_CHAR = /[\x80-\xff]/;

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Parses a whole deb822 text: Policy 5.1, with apt's tolerance of CRLF and a leading BOM.
 * Values of the returned paragraphs are slices of `text`.
 */
export function parseDeb822(text: string, options?: Deb822Options): Paragraph[] {
  const scanner = new Deb822Scanner(options ?? {}, false);
  scanner.scan(stripBom(text), 0, true);
  return scanner.out;
}

/**
 * Parses deb822 from chunks of UTF-8 bytes (or strings: they are encoded as UTF-8, so a lone
 * surrogate reads as U+FFFD), yielding paragraphs as they complete.
 * Holds only the open paragraph and the current batch of input (see `batchBytes`), so an index
 * of any size streams in bounded memory; values are slices of the batches.
 * Paragraphs completed before an error are yielded before it is thrown, so what a consumer sees
 * does not depend on how the input was cut into chunks.
 */
export async function* parseDeb822Stream(
  input: AsyncIterable<Uint8Array | string>,
  options: Deb822Options = {},
): AsyncGenerator<Paragraph> {
  const scanner = new Deb822Scanner(options, true);
  const batchBytes = options.batchBytes ?? DEFAULT_BATCH;
  if (!Number.isSafeInteger(batchBytes) || batchBytes < 1) {
    throw new RangeError(`batchBytes must be a positive integer, got ${batchBytes}`);
  }
  const feeder = new ByteFeeder(scanner, batchBytes);
  const chunks = input[Symbol.asyncIterator]();
  let inputOpen = true;
  let failure: { error: unknown } | null = null;
  try {
    for (;;) {
      let next: IteratorResult<Uint8Array | string>;
      try {
        next = await chunks.next();
      } catch (error) {
        inputOpen = false;
        failure = { error };
        try {
          // What arrived before the input broke is read as far as it goes.
          feeder.flush();
        } catch {
          // The input's error is the one to report.
        }
        break;
      }
      try {
        if (next.done === true) {
          inputOpen = false;
          feeder.end();
          break;
        }
        feeder.push(next.value);
      } catch (error) {
        failure = { error };
        break;
      }
      if (scanner.out.length > 0) for (const p of scanner.out.splice(0)) yield p;
    }
    for (const p of scanner.out.splice(0)) yield p;
    if (failure !== null) throw failure.error;
  } finally {
    if (inputOpen) await chunks.return?.();
  }
}

/** Gathers chunks into batches of bytes and hands them to a LineFeeder. */
class ByteFeeder {
  private readonly lines: LineFeeder;
  // Room for a batch plus the up to 3 bytes of a character cut off at its end.
  private readonly batch: Buffer;
  private fill = 0;
  /** A string chunk may end between the two halves of a surrogate pair. */
  private highSurrogate = '';

  constructor(
    scanner: Deb822Scanner,
    private readonly batchBytes: number,
  ) {
    this.lines = new LineFeeder(scanner);
    this.batch = Buffer.allocUnsafe(batchBytes + 3);
  }

  push(chunk: Uint8Array | string): void {
    const bytes = this.toBytes(chunk);
    const { batch, batchBytes } = this;
    let off = 0;
    while (off < bytes.length) {
      if (this.fill === 0 && bytes.length - off >= batchBytes) {
        // A big chunk is decoded in place; only a character cut off at its end is kept.
        const tail = this.lines.feedBytes(bytes, off, bytes.length, false);
        batch.set(bytes.subarray(bytes.length - tail), 0);
        this.fill = tail;
        return;
      }
      const n = Math.min(batchBytes + 3 - this.fill, bytes.length - off);
      batch.set(bytes.subarray(off, off + n), this.fill);
      this.fill += n;
      off += n;
      if (this.fill >= batchBytes) this.flush();
    }
  }

  /** Scans what is gathered, up to the last complete character. */
  flush(): void {
    const tail = this.lines.feedBytes(this.batch, 0, this.fill, false);
    this.batch.copyWithin(0, this.fill - tail, this.fill);
    this.fill = tail;
  }

  end(): void {
    let rest: Uint8Array = this.batch.subarray(0, this.fill);
    if (this.highSurrogate !== '') {
      // Unpaired: it becomes U+FFFD, as any lone surrogate in a string chunk does.
      rest = Buffer.concat([rest, Buffer.from(this.highSurrogate, 'utf8')]);
    }
    this.fill = 0;
    this.lines.feedBytes(rest, 0, rest.length, true);
  }

  private toBytes(chunk: Uint8Array | string): Uint8Array {
    let text: string;
    if (typeof chunk !== 'string') {
      if (this.highSurrogate === '') return chunk;
      text = this.highSurrogate;
      this.highSurrogate = '';
      return Buffer.concat([Buffer.from(text, 'utf8'), chunk]);
    }
    text = this.highSurrogate + chunk;
    this.highSurrogate = '';
    const last = text.charCodeAt(text.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) {
      this.highSurrogate = text.slice(-1);
      text = text.slice(0, -1);
    }
    return Buffer.from(text, 'utf8');
  }
}

/** Turns batches of bytes into binary texts for the scanner, carrying incomplete lines over. */
class LineFeeder {
  /** Until the first bytes are seen, which may be a byte order mark. */
  private atStart = true;
  // The incomplete last line, as pieces: joining only once its newline arrives keeps a long
  // line from being copied once per batch.
  private readonly carry: string[] = [];
  private carryLen = 0;

  constructor(private readonly scanner: Deb822Scanner) {}

  /**
   * Scans the bytes [start, end) of `b`, except a character cut off at the end (unless
   * `final`), and returns how many bytes that leaves at the end.
   */
  feedBytes(b: Uint8Array, start: number, end: number, final: boolean): number {
    if (this.atStart && end > start) {
      // A lone 0xEF or 0xEF 0xBB is held back below as an incomplete character, so a BOM is
      // always judged whole.
      if (b[start] !== 0xef) {
        this.atStart = false;
      } else if (end - start >= 3) {
        this.atStart = false;
        if (b[start + 1] === 0xbb && b[start + 2] === 0xbf) start += 3;
      }
    }
    const cut = final ? end : completeEnd(b, start, end);
    const body = b.subarray(start, cut);
    let highs = NO_HIGHS;
    if (!isAscii(body)) {
      if (!isUtf8(body)) {
        // Scan up to the line with the bad byte, so that the error names it.
        let bad = firstInvalidUtf8(b, start, cut);
        if (bad < 0) bad = start;
        const lineStart = bad > start ? b.lastIndexOf(0x0a, bad - 1) + 1 : start;
        if (lineStart > start) this.feedBytes(b, start, lineStart, false);
        this.scanner.encoding(
          bad + sequenceLength(b[bad]) > cut && final
            ? 'the text ends inside a character'
            : `byte 0x${b[bad].toString(16).padStart(2, '0')} does not start a valid character`,
        );
      }
      highs = nonAsciiOffsets(b, start, cut);
    }
    const text = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1', start, cut);
    this.feed(text, highs, final);
    return end - cut;
  }

  private feed(text: string, highs: readonly number[], final: boolean): void {
    const scanner = this.scanner;
    let start = 0;
    if (this.carryLen > 0) {
      const nl = text.indexOf('\n');
      if (nl < 0 && !final) {
        this.carry.push(text);
        this.carryLen += text.length;
        scanner.checkPending(this.carryLen);
        return;
      }
      const head = nl < 0 ? text.length : nl + 1;
      this.carry.push(head === text.length ? text : text.slice(0, head));
      const line = this.carry.join('');
      this.carry.length = 0;
      this.carryLen = 0;
      scanner.scan(line, 0, final && head === text.length, nonAsciiCharOffsets(line));
      if (head === text.length) return;
      start = head;
    }
    const end = scanner.scan(text, start, final, highs);
    if (end < text.length) {
      this.carry.push(text.slice(end));
      this.carryLen = text.length - end;
      scanner.checkPending(this.carryLen);
    }
  }
}
