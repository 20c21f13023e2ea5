/** The package filter language (aptly compatible): see docs/query.md. */
export type {
  AndNode,
  FieldNode,
  NotNode,
  OrNode,
  PackageKeyNode,
  PackageNode,
  QueryCondition,
  QueryNode,
  QueryOp,
} from './query-ast.js';
export { parseQuery, MAX_QUERY_NESTING } from './parse-query.js';
export { formatQuery } from './format-query.js';
export { compileQuery, type CompileQueryOptions, type QueryPredicate } from './compile-query.js';
export { matchQuery } from './match-query.js';
export { queryTargetFromParagraph, type QueryTarget, type QueryPackageType } from './query-target.js';
export { tokenizeQuery, type QueryToken } from './tokenize-query.js';
export { splitFilterTerms, tallyFilter, type FilterTerm, type TalliedFilter } from './filter-terms.js';
export { KNOWN_QUERY_FIELDS, queryFieldNames, suggestFieldName } from './field-hint.js';
