import { compileQuery, type CompileQueryOptions, type QueryPredicate } from './compile-query.js';
import { parseQuery } from './parse-query.js';
import type { QueryNode } from './query-ast.js';
import { lexQuery } from './tokenize-query.js';

/** One top-level term of a filter: the text the user wrote for it, and its parsed form. */
export interface FilterTerm {
  readonly text: string;
  readonly query: QueryNode;
}

/**
 * How a filter splits into top-level terms: its `|` alternatives, or, when it has no top-level
 * `|`, its `,` conjuncts (a single term otherwise). Parentheses around the whole filter are
 * looked through. Each term keeps the user's own spelling (`Priority (requird)`, not the
 * canonical `Priority (= requird)`), so a warning quotes what they can find in their config.
 * Throws DEBSTASH_E_QUERY_SYNTAX for a filter that does not parse.
 */
export function splitFilterTerms(text: string): { readonly join: 'or' | 'and'; readonly terms: readonly FilterTerm[] } {
  parseQuery(text);
  let source = text;
  for (;;) {
    const tokens = [...lexQuery(source)];
    const separators: Record<'|' | ',', number[]> = { '|': [], ',': [] };
    let depth = 0;
    let wrapped = tokens[0]?.type === '(';
    for (const [i, t] of tokens.entries()) {
      if (t.type === '(') depth++;
      else if (t.type === ')') {
        depth--;
        // The first "(" closes before the end: it does not wrap the whole filter.
        if (depth === 0 && i < tokens.length - 2) wrapped = false;
      } else if (depth === 0 && (t.type === '|' || t.type === ',')) separators[t.type].push(t.end - 1);
    }
    if (wrapped) {
      const close = tokens[tokens.length - 2]!;
      source = source.slice(tokens[0]!.end, close.end - 1);
      continue;
    }
    const join = separators['|'].length > 0 ? 'or' : 'and';
    const cuts = separators[join === 'or' ? '|' : ','];
    const terms: FilterTerm[] = [];
    let from = 0;
    for (const at of [...cuts, source.length]) {
      const part = source.slice(from, at).trim();
      terms.push({ text: part, query: parseQuery(part) });
      from = at + 1;
    }
    return { join, terms };
  }
}

export interface TalliedFilter {
  /** The filter as a predicate: selects exactly what compileQuery of the whole filter selects. */
  readonly matches: QueryPredicate;
  /** The top-level terms that no package given to `matches` so far has matched, in filter order. */
  unmatched(): readonly FilterTerm[];
}

/**
 * A filter that also notes which top-level terms matched something, in the same pass as the
 * selection. A term is evaluated past the usual short cut only until it first matches, so
 * over a large index the cost is that of the plain predicate.
 */
export function tallyFilter(text: string, options: CompileQueryOptions = {}): TalliedFilter {
  const { join, terms } = splitFilterTerms(text);
  const tests = terms.map((t) => compileQuery(t.query, options));
  const seen = terms.map(() => false);
  const matches: QueryPredicate =
    join === 'or'
      ? (pkg) => {
          let hit = false;
          for (let i = 0; i < tests.length; i++) {
            if (hit && seen[i]) continue;
            if (tests[i]!(pkg)) hit = seen[i] = true;
          }
          return hit;
        }
      : (pkg) => {
          let all = true;
          for (let i = 0; i < tests.length; i++) {
            if (!all && seen[i]) continue;
            if (tests[i]!(pkg)) seen[i] = true;
            else all = false;
          }
          return all;
        };
  return { matches, unmatched: () => terms.filter((_, i) => !seen[i]) };
}
