/**
 * Go regular expressions (RE2 syntax, as aptly compiles them with regexp.Compile) translated to
 * JavaScript RegExps with the same meaning.
 *
 * The two dialects differ in ways that change results, so a pattern is parsed, checked the way
 * Go checks it, and rewritten: `.` excludes only `\n` (JS also excludes `\r`, U+2028, U+2029);
 * `\s` is ASCII only; `^`/`$` under `(?m)` see only `\n`; `(?s)`, `(?m)` and `(?U)` may switch
 * anywhere in Go; `a{`, lone `]` and `}` are literals; `\Q...\E`, `\x{...}`, octal escapes,
 * `[[:alpha:]]`, `\pL` and `\p{Greek}` exist. What Go rejects (backreferences, lookaround,
 * `a**`, repeat counts over 1000) is rejected here too.
 *
 * One thing is narrower than Go: `(?i)` is accepted only at the very start of the pattern,
 * because JavaScript (Node 20) has no scoped case-insensitivity.
 */

export type GoRegexpResult =
  | { readonly ok: true; readonly regexp: RegExp }
  | { readonly ok: false; readonly message: string };

/** Compiles `pattern` with Go's meaning, or says (in Go's words where possible) why not. */
export function compileGoRegexp(pattern: string): GoRegexpResult {
  let translated: { source: string; flags: string };
  try {
    translated = new GoRegexpTranslator(pattern).translate();
  } catch (err) {
    if (err instanceof GoRegexpSyntax) return { ok: false, message: err.message };
    throw err;
  }
  try {
    return { ok: true, regexp: new RegExp(translated.source, translated.flags) };
  } catch (err) {
    return { ok: false, message: `not supported: ${(err as Error).message}` };
  }
}

class GoRegexpSyntax extends Error {}

interface Flags {
  readonly multiLine: boolean;
  readonly dotAll: boolean;
  readonly ungreedy: boolean;
}

interface Atom {
  /** JS source of the atom, safe to follow with a quantifier when `unit` is true. */
  source: string;
  /** False for assertions and already-repeated atoms: a quantifier must wrap them first. */
  unit: boolean;
  /** Product of nested `{n,m}` counts, for Go's "at most 1000" rule. */
  weight: number;
}

/** One member of a character class: a code point range or a JS class escape like `\p{L}`. */
type ClassItem = { lo: number; hi: number } | { escape: string };

/** A class is a union of positive items and complemented groups of items. */
interface ClassSet {
  items: ClassItem[];
  complemented: ClassItem[][];
}

const MAX_REPEAT = 1000;
const MAX_NESTING = 1000;
const MAX_CP = 0x10ffff;

const GO_CATEGORIES = new Set([
  'L', 'Ll', 'Lm', 'Lo', 'Lt', 'Lu', 'M', 'Mc', 'Me', 'Mn', 'N', 'Nd', 'Nl', 'No',
  'P', 'Pc', 'Pd', 'Pe', 'Pf', 'Pi', 'Po', 'Ps', 'S', 'Sc', 'Sk', 'Sm', 'So',
  'Z', 'Zl', 'Zp', 'Zs', 'Cc', 'Cf', 'Co', 'Cs',
]);

/** ASCII classes of POSIX bracket expressions, as Go defines them. */
const POSIX_CLASSES: Readonly<Record<string, ReadonlyArray<readonly [number, number]>>> = {
  alnum: [[0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a]],
  alpha: [[0x41, 0x5a], [0x61, 0x7a]],
  ascii: [[0x00, 0x7f]],
  blank: [[0x09, 0x09], [0x20, 0x20]],
  cntrl: [[0x00, 0x1f], [0x7f, 0x7f]],
  digit: [[0x30, 0x39]],
  graph: [[0x21, 0x7e]],
  lower: [[0x61, 0x7a]],
  print: [[0x20, 0x7e]],
  punct: [[0x21, 0x2f], [0x3a, 0x40], [0x5b, 0x60], [0x7b, 0x7e]],
  space: [[0x09, 0x0d], [0x20, 0x20]],
  upper: [[0x41, 0x5a]],
  word: [[0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a], [0x5f, 0x5f]],
  xdigit: [[0x30, 0x39], [0x41, 0x46], [0x61, 0x66]],
};

/** Go's `\s`: no `\v`, nothing beyond ASCII. */
const PERL_SPACE: ReadonlyArray<readonly [number, number]> = [[0x09, 0x0a], [0x0c, 0x0d], [0x20, 0x20]];

function isAsciiAlnum(cp: number): boolean {
  return (cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a);
}

function isOctal(cp: number | undefined): cp is number {
  return cp !== undefined && cp >= 0x30 && cp <= 0x37;
}

function hexValue(cp: number | undefined): number {
  if (cp === undefined) return -1;
  if (cp >= 0x30 && cp <= 0x39) return cp - 0x30;
  if (cp >= 0x41 && cp <= 0x46) return cp - 0x41 + 10;
  if (cp >= 0x61 && cp <= 0x66) return cp - 0x61 + 10;
  return -1;
}

/** A code point written so that JS reads it as itself in and out of classes, whatever it is. */
function jsChar(cp: number): string {
  if (isAsciiAlnum(cp) || cp === 0x5f || cp === 0x20) return String.fromCodePoint(cp);
  return `\\u{${cp.toString(16)}}`;
}

function complementRanges(ranges: ReadonlyArray<readonly [number, number]>): Array<[number, number]> {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  let next = 0;
  for (const [lo, hi] of sorted) {
    if (lo > next) out.push([next, lo - 1]);
    next = Math.max(next, hi + 1);
  }
  if (next <= MAX_CP) out.push([next, MAX_CP]);
  return out;
}

function itemSource(item: ClassItem): string {
  if ('escape' in item) return item.escape;
  return item.lo === item.hi ? jsChar(item.lo) : `${jsChar(item.lo)}-${jsChar(item.hi)}`;
}

function classSource(set: ClassSet, negated: boolean): string {
  const positive = set.items.map(itemSource).join('');
  if (set.complemented.length === 0) {
    if (positive === '') return negated ? '[\\s\\S]' : '[]';
    return negated ? `[^${positive}]` : `[${positive}]`;
  }
  const parts = set.complemented.map((group) => `[^${group.map(itemSource).join('')}]`);
  if (positive !== '') parts.unshift(`[${positive}]`);
  const union = `(?:${parts.join('|')})`;
  return negated ? `(?!${union})[\\s\\S]` : union;
}

class GoRegexpTranslator {
  private readonly cps: number[];
  private pos = 0;
  private caseInsensitive = false;
  private readonly names = new Set<string>();

  constructor(private readonly pattern: string) {
    this.cps = Array.from(pattern, (ch) => ch.codePointAt(0) ?? 0);
  }

  translate(): { source: string; flags: string } {
    let flags: Flags = { multiLine: false, dotAll: false, ungreedy: false };
    // Only a leading (?i...) can become the JS `i` flag; see the file comment.
    const leading = /^\(\?([imsU]+)\)/.exec(this.pattern);
    if (leading?.[1]?.includes('i')) {
      this.caseInsensitive = true;
      const f = leading[1];
      flags = { multiLine: f.includes('m'), dotAll: f.includes('s'), ungreedy: f.includes('U') };
      this.pos = Array.from(leading[0]).length;
    }
    const { source } = this.alternation(flags, 0);
    if (this.pos < this.cps.length) throw this.fail('unexpected )');
    return { source, flags: this.caseInsensitive ? 'iu' : 'u' };
  }

  private fail(message: string): GoRegexpSyntax {
    return new GoRegexpSyntax(message);
  }

  private peek(offset = 0): number | undefined {
    return this.cps[this.pos + offset];
  }

  private peekChar(offset = 0): string {
    const cp = this.peek(offset);
    return cp === undefined ? '' : String.fromCodePoint(cp);
  }

  /** Alternatives up to `)` or the end; the caller consumes the `)`. */
  private alternation(flags: Flags, depth: number): { source: string; weight: number } {
    if (depth > MAX_NESTING) throw this.fail('expression nests too deeply');
    const branches: string[] = [];
    let weight = 1;
    let current = flags;
    for (;;) {
      const branch = this.concatenation(current, depth);
      branches.push(branch.source);
      weight = Math.max(weight, branch.weight);
      current = branch.flags;
      if (this.peekChar() !== '|') break;
      this.pos++;
    }
    return { source: branches.join('|'), weight };
  }

  /** A sequence of atoms with their quantifiers. Returns the flags in force at its end. */
  private concatenation(start: Flags, depth: number): { source: string; flags: Flags; weight: number } {
    let flags = start;
    const atoms: Atom[] = [];
    let lastWasRepeat = false;
    for (;;) {
      const c = this.peekChar();
      if (c === '' || c === '|' || c === ')') break;
      if (c === '*' || c === '+' || c === '?' || (c === '{' && this.repeatAhead())) {
        this.quantify(atoms, flags, lastWasRepeat);
        lastWasRepeat = true;
        continue;
      }
      lastWasRepeat = false;
      if (c === '(') {
        const group = this.group(flags, depth);
        if (group.kind === 'flags') flags = group.flags;
        else atoms.push(group.atom);
        continue;
      }
      atoms.push(...this.simpleAtoms(flags));
    }
    const weight = atoms.reduce((w, a) => Math.max(w, a.weight), 1);
    return { source: atoms.map((a) => a.source).join(''), flags, weight };
  }

  private repeatAhead(): boolean {
    return this.parseRepeatBraces(false) !== undefined;
  }

  /** Reads `{n}`, `{n,}` or `{n,m}` at pos; anything else means `{` is a literal. */
  private parseRepeatBraces(consume: boolean): { min: number; max: number; length: number } | undefined {
    let k = this.pos + 1;
    // Go reads a number with a leading zero ("{01}") as no number at all.
    const digits = (): string | undefined => {
      let s = '';
      while (this.cps[k] !== undefined && this.cps[k]! >= 0x30 && this.cps[k]! <= 0x39) {
        s += String.fromCodePoint(this.cps[k]!);
        k++;
      }
      return s.length >= 2 && s.startsWith('0') ? undefined : s;
    };
    const a = digits();
    if (a === undefined || a === '') return undefined;
    let max: number;
    if (this.cps[k] === 0x2c /* , */) {
      k++;
      const b = digits();
      if (b === undefined) return undefined;
      max = b === '' ? -1 : Number(b.length > 8 ? '99999999' : b);
    } else {
      max = Number(a.length > 8 ? '99999999' : a);
    }
    if (this.cps[k] !== 0x7d /* } */) return undefined;
    const min = Number(a.length > 8 ? '99999999' : a);
    const length = k + 1 - this.pos;
    if (consume) this.pos += length;
    return { min, max, length };
  }

  private quantify(atoms: Atom[], flags: Flags, lastWasRepeat: boolean): void {
    const startPos = this.pos;
    const c = this.peekChar();
    let min = 0;
    let max = -1;
    let op: string;
    if (c === '{') {
      const r = this.parseRepeatBraces(true)!;
      min = r.min;
      max = r.max;
      if (min > MAX_REPEAT || max > MAX_REPEAT || (max >= 0 && min > max)) {
        throw this.fail(`invalid repeat count: ${this.slice(startPos)}`);
      }
      op = max === -1 ? `{${min},}` : min === max ? `{${min}}` : `{${min},${max}}`;
    } else {
      this.pos++;
      op = c;
    }
    let lazy = false;
    if (this.peekChar() === '?') {
      this.pos++;
      lazy = true;
    }
    if (lastWasRepeat) throw this.fail(`invalid nested repetition operator: ${this.slice(startPos)}`);
    const atom = atoms.pop();
    if (atom === undefined) throw this.fail(`missing argument to repetition operator: ${this.slice(startPos)}`);
    let weight = atom.weight;
    if (c === '{') {
      const m = max >= 0 ? max : min;
      weight = Math.max(m, 1) * atom.weight;
      if ((min >= 2 || max >= 2) && weight > MAX_REPEAT) {
        throw this.fail(`invalid repeat count: ${this.slice(startPos)}`);
      }
    }
    if (flags.ungreedy) lazy = !lazy;
    const base = atom.unit ? atom.source : `(?:${atom.source})`;
    atoms.push({ source: `${base}${op}${lazy ? '?' : ''}`, unit: false, weight });
  }

  private slice(from: number): string {
    return String.fromCodePoint(...this.cps.slice(from, this.pos));
  }

  private group(flags: Flags, depth: number): { kind: 'flags'; flags: Flags } | { kind: 'atom'; atom: Atom } {
    const start = this.pos;
    this.pos++; // (
    let inner = flags;
    let capture = true;
    if (this.peekChar() === '?') {
      const next = this.peekChar(1);
      if (next === 'P' || next === '<') {
        if (next === 'P' && this.peekChar(2) !== '<') throw this.fail('invalid or unsupported Perl syntax: (?P');
        if (next === '<' && (this.peekChar(2) === '=' || this.peekChar(2) === '!')) {
          throw this.fail(`invalid or unsupported Perl syntax: (?<${this.peekChar(2)} (Go has no lookbehind)`);
        }
        this.pos += next === 'P' ? 3 : 2;
        let name = '';
        while (this.peekChar() !== '' && this.peekChar() !== '>') {
          name += this.peekChar();
          this.pos++;
        }
        if (this.peekChar() !== '>') throw this.fail(`invalid named capture: ${this.slice(start)}`);
        this.pos++;
        if (!/^[A-Za-z0-9_]+$/.test(name)) throw this.fail(`invalid named capture: ${this.slice(start)}`);
        if (this.names.has(name)) throw this.fail(`duplicate capture group name: ${name}`);
        this.names.add(name);
      } else {
        this.pos++; // ?
        const parsed = this.flagGroup(flags, start);
        if (parsed.close) return { kind: 'flags', flags: parsed.flags };
        inner = parsed.flags;
        capture = false;
      }
    }
    const body = this.alternation(inner, depth + 1);
    if (this.peekChar() !== ')') throw this.fail(`missing closing ): ${this.pattern}`);
    this.pos++;
    const source = capture ? `(${body.source})` : `(?:${body.source})`;
    return { kind: 'atom', atom: { source, unit: true, weight: body.weight } };
  }

  /** After `(?`: flags up to `)` (they apply to the rest of the group) or `:` (a group). */
  private flagGroup(flags: Flags, start: number): { flags: Flags; close: boolean } {
    let { multiLine, dotAll, ungreedy } = flags;
    let negate = false;
    let sawFlag = false;
    for (;;) {
      const c = this.peekChar();
      this.pos++;
      switch (c) {
        case 'i':
          if (!this.caseInsensitive || negate) {
            throw this.fail('(?i) is supported only as a leading "(?i)" that covers the whole pattern');
          }
          sawFlag = true;
          break;
        case 'm':
          multiLine = !negate;
          sawFlag = true;
          break;
        case 's':
          dotAll = !negate;
          sawFlag = true;
          break;
        case 'U':
          ungreedy = !negate;
          sawFlag = true;
          break;
        case '-':
          if (negate) throw this.fail(`invalid or unsupported Perl syntax: ${this.slice(start)}`);
          negate = true;
          sawFlag = false;
          break;
        case ':':
        case ')':
          if (negate && !sawFlag) throw this.fail(`invalid or unsupported Perl syntax: ${this.slice(start)}`);
          return { flags: { multiLine, dotAll, ungreedy }, close: c === ')' };
        default:
          throw this.fail(`invalid or unsupported Perl syntax: ${this.slice(start)}`);
      }
    }
  }

  /** Everything that is not a group or a quantifier; `\Q...\E` yields one atom per character. */
  private simpleAtoms(flags: Flags): Atom[] {
    const c = this.peekChar();
    const unit = (source: string): Atom => ({ source, unit: true, weight: 1 });
    const assertion = (source: string): Atom => ({ source, unit: false, weight: 1 });
    switch (c) {
      case '[':
        return [unit(this.bracketClass())];
      case '.':
        this.pos++;
        return [unit(flags.dotAll ? '[\\s\\S]' : '[^\\n]')];
      case '^':
        this.pos++;
        return [assertion(flags.multiLine ? '(?<![^\\n])' : '^')];
      case '$':
        this.pos++;
        return [assertion(flags.multiLine ? '(?![^\\n])' : '$')];
      case '\\':
        return this.escapeAtoms();
      default: {
        const cp = this.peek()!;
        this.pos++;
        return [unit(jsChar(cp))];
      }
    }
  }

  private escapeAtoms(): Atom[] {
    const next = this.peekChar(1);
    const unit = (source: string): Atom => ({ source, unit: true, weight: 1 });
    const assertion = (source: string): Atom => ({ source, unit: false, weight: 1 });
    switch (next) {
      case 'A':
        this.pos += 2;
        return [assertion('(?<![\\s\\S])')];
      case 'z':
        this.pos += 2;
        return [assertion('(?![\\s\\S])')];
      case 'b':
        this.pos += 2;
        return [assertion('\\b')];
      case 'B':
        this.pos += 2;
        return [assertion('\\B')];
      case 'Q': {
        this.pos += 2;
        const rest = String.fromCodePoint(...this.cps.slice(this.pos));
        const end = rest.indexOf('\\E');
        const literal = end >= 0 ? rest.slice(0, end) : rest;
        this.pos += Array.from(literal).length + (end >= 0 ? 2 : 0);
        return Array.from(literal, (ch) => unit(jsChar(ch.codePointAt(0)!)));
      }
      default: {
        const set: ClassSet = { items: [], complemented: [] };
        if (this.classEscape(set)) return [unit(classSource(set, false))];
        return [unit(jsChar(this.escapedChar()))];
      }
    }
  }

  /** `\d \D \s \S \w \W \pX \p{..} \PX \P{..}` at pos, added to `set`; false if not one. */
  private classEscape(set: ClassSet): boolean {
    if (this.peekChar() !== '\\') return false;
    const c = this.peekChar(1);
    switch (c) {
      case 'd':
      case 'D':
      case 'w':
      case 'W':
        this.pos += 2;
        set.items.push({ escape: `\\${c}` });
        return true;
      case 's':
        this.pos += 2;
        for (const [lo, hi] of PERL_SPACE) set.items.push({ lo, hi });
        return true;
      case 'S':
        this.pos += 2;
        for (const [lo, hi] of complementRanges(PERL_SPACE)) set.items.push({ lo, hi });
        return true;
      case 'p':
      case 'P':
        this.unicodeClass(set, c === 'P');
        return true;
      default:
        return false;
    }
  }

  private unicodeClass(set: ClassSet, negatedByCase: boolean): void {
    const start = this.pos;
    this.pos += 2;
    let name: string;
    if (this.peekChar() === '{') {
      let k = 1;
      name = '';
      while (this.peekChar(k) !== '' && this.peekChar(k) !== '}') {
        name += this.peekChar(k);
        k++;
      }
      if (this.peekChar(k) !== '}') {
        this.pos = this.cps.length;
        throw this.fail(`invalid character class range: ${this.slice(start)}`);
      }
      this.pos += k + 1;
    } else {
      if (this.peekChar() === '') throw this.fail(`invalid character class range: ${this.slice(start)}`);
      name = this.peekChar();
      this.pos++;
    }
    let negated = negatedByCase;
    if (name.startsWith('^')) {
      negated = !negated;
      name = name.slice(1);
    }
    let items: ClassItem[];
    if (name === 'Any') items = [{ lo: 0, hi: MAX_CP }];
    else if (name === 'C') items = ['Cc', 'Cf', 'Co', 'Cs'].map((n) => ({ escape: `\\p{${n}}` }));
    else if (GO_CATEGORIES.has(name)) items = [{ escape: `\\p{${name}}` }];
    else if (/^[A-Z][A-Za-z_]*$/.test(name) && isJsScript(name)) items = [{ escape: `\\p{Script=${name}}` }];
    else throw this.fail(`invalid character class range: ${this.slice(start)}`);
    if (negated) set.complemented.push(items);
    else set.items.push(...items);
  }

  /** Go's parseEscape: the character a `\x` escape stands for. */
  private escapedChar(): number {
    const start = this.pos;
    this.pos++; // backslash
    const c = this.peek();
    if (c === undefined) throw this.fail('trailing backslash at end of expression');
    this.pos++;
    if (c >= 0x31 && c <= 0x37 && !isOctal(this.peek())) {
      throw this.fail(`invalid escape sequence: ${this.slice(start)}`);
    }
    if (c >= 0x30 && c <= 0x37) {
      let value = c - 0x30;
      for (let n = 1; n < 3 && isOctal(this.peek()); n++) {
        value = value * 8 + (this.peek()! - 0x30);
        this.pos++;
      }
      return value;
    }
    switch (c) {
      case 0x78: { // x
        if (this.peekChar() === '{') {
          this.pos++;
          let value = 0;
          let digits = 0;
          while (hexValue(this.peek()) >= 0) {
            value = value * 16 + hexValue(this.peek());
            digits++;
            this.pos++;
            if (value > MAX_CP) throw this.fail(`invalid escape sequence: ${this.slice(start)}`);
          }
          if (digits === 0 || this.peekChar() !== '}') throw this.fail(`invalid escape sequence: ${this.slice(start)}`);
          this.pos++;
          return value;
        }
        const h1 = hexValue(this.peek());
        const h2 = hexValue(this.peek(1));
        if (h1 < 0 || h2 < 0) {
          this.pos = Math.min(this.pos + 2, this.cps.length);
          throw this.fail(`invalid escape sequence: ${this.slice(start)}`);
        }
        this.pos += 2;
        return h1 * 16 + h2;
      }
      case 0x61: return 0x07; // a
      case 0x66: return 0x0c; // f
      case 0x6e: return 0x0a; // n
      case 0x72: return 0x0d; // r
      case 0x74: return 0x09; // t
      case 0x76: return 0x0b; // v
      default:
        if (c < 0x80 && !isAsciiAlnum(c)) return c;
        throw this.fail(`invalid escape sequence: ${this.slice(start)}`);
    }
  }

  private bracketClass(): string {
    const start = this.pos;
    this.pos++; // [
    let negated = false;
    if (this.peekChar() === '^') {
      negated = true;
      this.pos++;
    }
    const set: ClassSet = { items: [], complemented: [] };
    let first = true;
    const missing = (): GoRegexpSyntax => {
      this.pos = this.cps.length;
      return this.fail(`missing closing ]: ${this.slice(start)}`);
    };
    while (first || this.peekChar() !== ']') {
      if (this.peekChar() === '') throw missing();
      first = false;
      if (this.peekChar() === '[' && this.peekChar(1) === ':' && this.posixClass(set)) continue;
      if (this.classEscape(set)) continue;
      const rangeStart = this.pos;
      const lo = this.classChar(missing);
      let hi = lo;
      if (this.peekChar() === '-' && this.peekChar(1) !== ']' && this.peekChar(1) !== '') {
        this.pos++;
        hi = this.classChar(missing);
        if (hi < lo) throw this.fail(`invalid character class range: ${this.slice(rangeStart)}`);
      }
      set.items.push({ lo, hi });
    }
    this.pos++; // ]
    return classSource(set, negated);
  }

  private classChar(missing: () => GoRegexpSyntax): number {
    const c = this.peek();
    if (c === undefined) throw missing();
    if (c === 0x5c) {
      if (this.peek(1) === undefined) throw missing();
      return this.escapedChar();
    }
    this.pos++;
    return c;
  }

  /** `[:name:]` or `[:^name:]` inside a class; false when there is no closing `:]`. */
  private posixClass(set: ClassSet): boolean {
    const rest = String.fromCodePoint(...this.cps.slice(this.pos, this.pos + 16));
    const m = /^\[:(\^?)([a-z]*):\]/.exec(rest);
    if (m === null) {
      // Go looks for ":]" anywhere ahead; a longer unknown name is still an error.
      const tail = String.fromCodePoint(...this.cps.slice(this.pos + 2));
      const close = tail.indexOf(':]');
      if (close < 0) return false;
      throw this.fail(`invalid character class range: [:${tail.slice(0, close)}:]`);
    }
    const ranges = POSIX_CLASSES[m[2]!];
    if (ranges === undefined) throw this.fail(`invalid character class range: ${m[0]}`);
    const chosen = m[1] === '^' ? complementRanges(ranges) : ranges;
    for (const [lo, hi] of chosen) set.items.push({ lo, hi });
    this.pos += m[0].length;
    return true;
  }
}

function isJsScript(name: string): boolean {
  try {
    new RegExp(`\\p{Script=${name}}`, 'u');
    return true;
  } catch {
    return false;
  }
}
