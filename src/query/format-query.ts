import type { QueryCondition, QueryNode } from './query-ast.js';
import { endsWord, startsPunctuation } from './query-lexical.js';

/**
 * Canonical text of a query: parses back to the same AST. Operators are spelled `<=`/`>=`
 * (never `<`/`>`), a condition always shows its operator, a space surrounds `|`, and words are
 * quoted only when they must be (or hold a quote, backslash or parenthesis, for readability).
 *
 * Hand-built ASTs must respect the shapes the parser produces: a `field` name starts with `$`
 * or an upper-case letter and has no `_`; a `package` name does not, and without a condition
 * has fewer than two `_`; a `key` has no `_` in its name or architecture.
 */
export function formatQuery(q: QueryNode): string {
  return format(q);
}

function format(node: QueryNode): string {
  switch (node.kind) {
    case 'or':
    case 'and': {
      // Chains nest to the right; walk them instead of recursing once per link.
      const sep = node.kind === 'or' ? ' | ' : ', ';
      const parts: string[] = [];
      let rest: QueryNode = node;
      while (rest.kind === node.kind) {
        parts.push(operand(rest.left, node.kind, 'left'));
        rest = rest.right;
      }
      parts.push(operand(rest, node.kind, 'right'));
      return parts.join(sep);
    }
    case 'not': {
      let bangs = '';
      let inner: QueryNode = node;
      while (inner.kind === 'not') {
        bangs += '!';
        inner = inner.operand;
      }
      return `${bangs}${operand(inner, 'not', 'right')}`;
    }
    case 'field':
      return `${word(node.field)}${condition(node.condition)}`;
    case 'package': {
      const arch = node.arch === undefined ? '' : ` {${word(node.arch)}}`;
      return `${word(node.name)}${condition(node.condition)}${arch}`;
    }
    case 'key':
      return word(`${node.name}_${node.version}_${node.arch}`);
  }
}

const BINDING: Readonly<Record<QueryNode['kind'], number>> = { or: 1, and: 2, not: 3, field: 4, package: 4, key: 4 };

/** Parenthesizes what would otherwise regroup: lower precedence, or the same on the left. */
function operand(child: QueryNode, parent: 'or' | 'and' | 'not', side: 'left' | 'right'): string {
  const text = format(child);
  const c = BINDING[child.kind];
  const p = BINDING[parent];
  const wrap = c < p || (c === p && side === 'left' && parent !== 'not');
  return wrap ? `(${text})` : text;
}

function condition(c: QueryCondition | undefined): string {
  return c === undefined ? '' : ` (${c.op} ${word(c.value)})`;
}

/** A word as the lexer will read it back: bare when it can be, else double-quoted. */
export function word(text: string): string {
  if (needsQuotes(text)) return `"${text.replace(/[\\"]/g, (ch) => `\\${ch}`)}"`;
  return text;
}

function needsQuotes(text: string): boolean {
  if (text === '') return true;
  const first = text.codePointAt(0)!;
  if (startsPunctuation(first)) return true;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (endsWord(cp) || cp === 0x22 || cp === 0x27 || cp === 0x5c || cp === 0x28) return true;
  }
  return false;
}
