/**
 * Shell patterns with the meaning of Go's filepath.Match on Unix, which aptly uses for `%`:
 * `*` is any run of characters except `/`, `?` one character except `/`, `[...]` a class
 * (negated with `^`, not `!`; it may match `/`), `\` quotes the next character. The whole value
 * must match.
 *
 * Go reports a malformed pattern (unclosed `[`, `[]`, `[-a]`, a trailing `\`) by failing every
 * match; here it is an error instead, so a typo does not silently select nothing.
 */

export type GoGlobResult =
  | { readonly ok: true; readonly regexp: RegExp }
  | { readonly ok: false; readonly message: string };

function jsChar(cp: number): string {
  const isPlain = (cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a);
  return isPlain ? String.fromCodePoint(cp) : `\\u{${cp.toString(16)}}`;
}

export function compileGoGlob(pattern: string): GoGlobResult {
  const cps = Array.from(pattern, (ch) => ch.codePointAt(0) ?? 0);
  let i = 0;
  let out = '^';
  const bad = (why: string): GoGlobResult => ({ ok: false, message: why });

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

  while (i < cps.length) {
    const c = cps[i]!;
    if (c === 0x2a /* * */) {
      out += '[^/]*';
      i++;
    } else if (c === 0x3f /* ? */) {
      out += '[^/]';
      i++;
    } else if (c === 0x5b /* [ */) {
      i++;
      let negated = false;
      if (cps[i] === 0x5e /* ^ */) {
        negated = true;
        i++;
      }
      let members = '';
      let count = 0;
      for (;;) {
        if (cps[i] === 0x5d && count > 0) {
          i++;
          break;
        }
        const lo = classChar();
        if (typeof lo === 'string') return bad(lo);
        let hi = lo;
        if (cps[i] === 0x2d /* - */) {
          i++;
          const h = classChar();
          if (typeof h === 'string') return bad(h);
          hi = h;
        }
        // Go accepts a reversed range and lets it match nothing.
        if (lo <= hi) members += lo === hi ? jsChar(lo) : `${jsChar(lo)}-${jsChar(hi)}`;
        count++;
      }
      if (members === '') out += negated ? '[\\s\\S]' : '[]';
      else out += negated ? `[^${members}]` : `[${members}]`;
    } else if (c === 0x5c /* \ */) {
      i++;
      if (cps[i] === undefined) return bad('it ends with a lone "\\"');
      out += jsChar(cps[i]!);
      i++;
    } else {
      out += jsChar(c);
      i++;
    }
  }
  return { ok: true, regexp: new RegExp(`${out}$`, 'u') };
}
