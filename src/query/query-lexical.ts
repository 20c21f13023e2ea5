/**
 * Character classes of the query language, shared by the tokenizer and the formatter so that
 * what one writes the other reads back.
 */

/**
 * Go's unicode.IsSpace (aptly's lexer uses it). Not JavaScript's `\s`: Go counts U+0085 and
 * not U+FEFF.
 */
export function isQuerySpace(cp: number): boolean {
  if (cp <= 0xff) {
    return cp === 0x20 || (cp >= 0x09 && cp <= 0x0d) || cp === 0x85 || cp === 0xa0;
  }
  return (
    cp === 0x1680 ||
    (cp >= 0x2000 && cp <= 0x200a) ||
    cp === 0x2028 ||
    cp === 0x2029 ||
    cp === 0x202f ||
    cp === 0x205f ||
    cp === 0x3000
  );
}

/**
 * Characters that end an unquoted word. `(` is missing on purpose: aptly's lexer lets a word
 * carry on through `(` (so `Name (~ \(x)` is the regexp `\(x`), and queries written for aptly
 * must lex the same here.
 */
export function endsWord(cp: number): boolean {
  return cp === 0x29 /* ) */ || cp === 0x7c /* | */ || cp === 0x2c /* , */ || cp === 0x21 /* ! */ ||
    cp === 0x7b /* { */ || cp === 0x7d /* } */ || isQuerySpace(cp);
}

/** Characters that, at the start of a token, are punctuation rather than the start of a word. */
export function startsPunctuation(cp: number): boolean {
  switch (cp) {
    case 0x28: // (
    case 0x29: // )
    case 0x7b: // {
    case 0x7d: // }
    case 0x7c: // |
    case 0x2c: // ,
    case 0x21: // !
    case 0x3c: // <
    case 0x3e: // >
    case 0x3d: // =
    case 0x25: // %
    case 0x7e: // ~
      return true;
    default:
      return false;
  }
}

/**
 * aptly's rule for telling a field from a package name: `$...`, or an upper-case first letter
 * and no `_` (so `Priority` is a field, `nginx` and `Foo_1.0_all` are not).
 */
export function isFieldWord(word: string): boolean {
  if (word.startsWith('$')) return true;
  const first = word.codePointAt(0);
  if (first === undefined) return false;
  return /^\p{Lu}$/u.test(String.fromCodePoint(first)) && !word.includes('_');
}
