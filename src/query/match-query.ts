import { compileQuery, type QueryPredicate } from './compile-query.js';
import type { QueryNode } from './query-ast.js';
import type { QueryTarget } from './query-target.js';

/** Compiled predicates by AST, so repeated matchQuery calls compile a query once. */
const compiled = new WeakMap<QueryNode, QueryPredicate>();

/**
 * Whether `pkg` matches `q`, with aptly's semantics. For loops over an index prefer
 * compileQuery once; this caches the compiled form per AST object, which comes to the same.
 */
export function matchQuery(q: QueryNode, pkg: QueryTarget): boolean {
  let predicate = compiled.get(q);
  if (predicate === undefined) {
    predicate = compileQuery(q);
    compiled.set(q, predicate);
  }
  return predicate(pkg);
}
