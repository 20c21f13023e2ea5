import type { QueryOp } from './query-ast.js';
import { endsWord, isQuerySpace } from './query-lexical.js';
import { querySyntaxError } from './query-syntax-error.js';

export type QueryPunctuation = '(' | ')' | '{' | '}' | '|' | ',' | '!';

export type QueryToken =
  | { readonly type: QueryPunctuation; readonly column: number; readonly end: number }
  | { readonly type: 'op'; readonly op: QueryOp; readonly column: number; readonly end: number }
  | { readonly type: 'word'; readonly value: string; readonly quoted: boolean; readonly column: number; readonly end: number }
  | { readonly type: 'end'; readonly column: number; readonly end: number };

/**
 * Reads tokens one at a time, the way aptly's lexer does, so that the parser reports the
 * leftmost problem. `column` is the 1-based character column of the token; `end` is the
 * offset (in UTF-16 units) just past it, used to quote what came before an error.
 *
 * Lexing follows aptly exactly: `<` alone is `<=`, `>` alone is `>=`; a word runs until
 * blank or one of `)|,!{}`; `"..."` and `'...'` take `\` as "next character is literal".
 */
export function* lexQuery(text: string): Generator<QueryToken, void, undefined> {
  let i = 0;
  let column = 1;
  const cpAt = (k: number): number => text.codePointAt(k) ?? -1;
  const width = (cp: number): number => (cp > 0xffff ? 2 : 1);
  for (;;) {
    while (i < text.length && isQuerySpace(cpAt(i))) {
      i += width(cpAt(i));
      column++;
    }
    if (i >= text.length) {
      yield { type: 'end', column, end: i };
      return;
    }
    const start = column;
    const c = text[i];
    switch (c) {
      case '(':
      case ')':
      case '{':
      case '}':
      case '|':
      case ',':
      case '!':
        i++;
        column++;
        yield { type: c, column: start, end: i };
        continue;
      case '<':
      case '>': {
        const next = text[i + 1];
        let op: QueryOp;
        if (next === c) op = c === '<' ? '<<' : '>>';
        else op = c === '<' ? '<=' : '>=';
        const len = next === c || next === '=' ? 2 : 1;
        i += len;
        column += len;
        yield { type: 'op', op, column: start, end: i };
        continue;
      }
      case '=':
      case '%':
      case '~':
        i++;
        column++;
        yield { type: 'op', op: c, column: start, end: i };
        continue;
      case '"':
      case "'": {
        let value = '';
        i++;
        column++;
        for (;;) {
          if (i >= text.length) {
            throw querySyntaxError(text, start, `the string that starts here has no closing ${c}`);
          }
          let cp = cpAt(i);
          i += width(cp);
          column++;
          if (cp === c.charCodeAt(0)) break;
          if (cp === 0x5c /* \ */) {
            if (i >= text.length) {
              throw querySyntaxError(text, start, `the string that starts here has no closing ${c}`);
            }
            cp = cpAt(i);
            i += width(cp);
            column++;
          }
          value += String.fromCodePoint(cp);
        }
        yield { type: 'word', value, quoted: true, column: start, end: i };
        continue;
      }
      default: {
        const from = i;
        while (i < text.length && !endsWord(cpAt(i))) {
          i += width(cpAt(i));
          column++;
        }
        yield { type: 'word', value: text.slice(from, i), quoted: false, column: start, end: i };
      }
    }
  }
}

/** All tokens of a query, ending with `end`; throws DEBSTASH_E_QUERY_SYNTAX on a bad string. */
export function tokenizeQuery(text: string): QueryToken[] {
  return [...lexQuery(text)];
}
