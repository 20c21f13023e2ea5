import { checkCondition } from './check-condition.js';
import type { QueryCondition, QueryNode } from './query-ast.js';
import { isFieldWord } from './query-lexical.js';
import { quoteQueryText, querySyntaxError } from './query-syntax-error.js';
import { lexQuery, type QueryToken } from './tokenize-query.js';

/** Deeper nesting is surely not a hand-written filter, and would exhaust the stack. */
export const MAX_QUERY_NESTING = 256;

const TERM = 'a package name, a field name, "!" or "("';

/**
 * Parses a query in aptly's grammar:
 *
 *   query := and ('|' and)*            -- lowest precedence, nested to the right
 *   and   := not (',' not)*
 *   not   := '!' not | atom
 *   atom  := '(' query ')' | term
 *   term  := word ['(' [op] value ')'] ['{' arch '}']
 *
 * A `word` starting with `$`, or with an upper-case letter and holding no `_`, is a field (and
 * takes no `{arch}`); `name_version_arch` with no condition is one package; anything else is a
 * package name. Throws DEBSTASH_E_QUERY_SYNTAX naming the column and what was expected.
 */
export function parseQuery(text: string): QueryNode {
  return new QueryParser(text).parse();
}

class QueryParser {
  private readonly tokens: Generator<QueryToken, void, undefined>;
  private current!: QueryToken;
  /** Offset just past the last consumed token: what the user wrote before the problem. */
  private consumedTo = 0;
  private depth = 0;
  /** The last word read, for the hint about a word that swallowed a "(". */
  private lastWord: QueryToken | undefined;

  constructor(private readonly text: string) {
    this.tokens = lexQuery(text);
    this.advance();
  }

  parse(): QueryNode {
    if (this.cur().type === 'end') {
      throw querySyntaxError(this.text, this.current.column, `the query is empty: expected ${TERM}`);
    }
    const node = this.orChain();
    if (this.cur().type !== 'end') {
      if (this.cur().type === ')') {
        throw querySyntaxError(this.text, this.current.column, `")" has no "(" to close, after ${this.before()}${this.glueHint()}`);
      }
      throw this.expected('"|", "," or the end of the query', this.operatorHint());
    }
    return node;
  }

  /** A call, not a property read, so that TypeScript does not keep a narrowing across advance(). */
  private cur(): QueryToken {
    return this.current;
  }

  private advance(): void {
    if (this.current !== undefined) {
      this.consumedTo = this.current.end;
      if (this.current.type === 'word') this.lastWord = this.current;
    }
    const next = this.tokens.next();
    // The lexer always ends with an `end` token and is not pulled past it.
    this.current = next.done === true ? { type: 'end', column: this.current.column, end: this.current.end } : next.value;
  }

  private before(): string {
    return quoteQueryText(this.text.slice(0, this.consumedTo));
  }

  private describe(token: QueryToken): string {
    switch (token.type) {
      case 'end':
        return 'the end of the query';
      case 'word':
        return token.value.length > 40 ? `${JSON.stringify(token.value.slice(0, 40))}…` : JSON.stringify(token.value);
      case 'op':
        return JSON.stringify(token.op);
      default:
        return JSON.stringify(token.type);
    }
  }

  private expected(what: string, hint = ''): Error {
    const where = this.consumedTo === 0 ? '' : ` after ${this.before()}`;
    return querySyntaxError(
      this.text,
      this.cur().column,
      `expected ${what}${where}, found ${this.describe(this.cur())}${hint || this.glueHint()}`,
    );
  }

  private operatorHint(): string {
    return this.cur().type === 'op' ? '; a condition goes in parentheses, as in "Name (op value)"' : '';
  }

  /** `Priority(required)` is the word `Priority(required` in aptly's grammar: say so. */
  private glueHint(): string {
    const w = this.lastWord;
    if (w === undefined || w.type !== 'word' || w.quoted || !w.value.includes('(')) return '';
    const at = w.value.indexOf('(');
    return `; ${JSON.stringify(w.value)} is one word: put a blank before "(", as in ${JSON.stringify(`${w.value.slice(0, at)} ${w.value.slice(at)}`)}`;
  }

  private orChain(): QueryNode {
    const items = [this.andChain()];
    while (this.cur().type === '|') {
      this.advance();
      items.push(this.andChain());
    }
    return nestRight(items, 'or');
  }

  private andChain(): QueryNode {
    const items = [this.negation()];
    while (this.cur().type === ',') {
      this.advance();
      items.push(this.negation());
    }
    return nestRight(items, 'and');
  }

  private negation(): QueryNode {
    let count = 0;
    while (this.cur().type === '!') {
      this.advance();
      count++;
    }
    let node = this.atom();
    for (let i = 0; i < count; i++) node = { kind: 'not', operand: node };
    return node;
  }

  private atom(): QueryNode {
    const open = this.cur();
    if (open.type === '(') {
      if (++this.depth > MAX_QUERY_NESTING) {
        throw querySyntaxError(this.text, open.column, `parentheses nest deeper than ${MAX_QUERY_NESTING} levels`);
      }
      this.advance();
      const node = this.orChain();
      if (this.cur().type !== ')') {
        throw this.expected(`")" to close the "(" at column ${open.column}`, this.operatorHint());
      }
      this.advance();
      this.depth--;
      return node;
    }
    return this.term();
  }

  private term(): QueryNode {
    const head = this.cur();
    if (head.type !== 'word') throw this.expected(TERM);
    this.advance();
    const isField = isFieldWord(head.value);
    const condition = this.condition(head.value === '$Version' || !isField ? 'version' : 'text', head.value);
    if (isField) {
      return condition === undefined ? { kind: 'field', field: head.value } : { kind: 'field', field: head.value, condition };
    }
    if (condition === undefined) {
      const key = splitPackageKey(head.value);
      if (key !== undefined) return { kind: 'key', ...key };
    }
    const arch = this.archQualifier();
    return {
      kind: 'package',
      name: head.value,
      ...(condition === undefined ? {} : { condition }),
      ...(arch === undefined ? {} : { arch }),
    };
  }

  private condition(subject: 'version' | 'text', field: string): QueryCondition | undefined {
    if (this.cur().type !== '(') return undefined;
    this.advance();
    let op: QueryCondition['op'] = '=';
    const opToken = this.cur();
    if (opToken.type === 'op') {
      op = opToken.op;
      this.advance();
    }
    const valueToken = this.cur();
    if (valueToken.type !== 'word') throw this.expected('a value');
    this.advance();
    if (this.cur().type !== ')') throw this.expected('")"');
    this.advance();
    const condition: QueryCondition = { op, value: valueToken.value };
    // `$Architecture (= arch)` compares architectures, `$Version` versions, other fields text.
    const checked = checkCondition(condition, field === '$Architecture' && op === '=' ? 'text' : subject);
    if (!checked.ok) throw querySyntaxError(this.text, valueToken.column, checked.message);
    return condition;
  }

  private archQualifier(): string | undefined {
    if (this.cur().type !== '{') return undefined;
    this.advance();
    const arch = this.cur();
    if (arch.type !== 'word') throw this.expected('an architecture');
    this.advance();
    if (this.cur().type !== '}') throw this.expected('"}"');
    this.advance();
    return arch.value;
  }
}

/** `a | b | c` is `a | (b | c)` in aptly; the AST keeps that shape so formatting round-trips. */
function nestRight(items: QueryNode[], kind: 'or' | 'and'): QueryNode {
  let node = items[items.length - 1]!;
  for (let i = items.length - 2; i >= 0; i--) node = { kind, left: items[i]!, right: node };
  return node;
}

/**
 * aptly's `name_version_arch`: split at the first and the last `_` (versions have no `_`,
 * names and architectures neither). One `_` only is not a key.
 */
export function splitPackageKey(word: string): { name: string; version: string; arch: string } | undefined {
  const first = word.indexOf('_');
  if (first < 0) return undefined;
  const last = word.lastIndexOf('_');
  if (last === first) return undefined;
  return { name: word.slice(0, first), version: word.slice(first + 1, last), arch: word.slice(last + 1) };
}
