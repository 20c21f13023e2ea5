import { type FilterTerm, KNOWN_QUERY_FIELDS, queryFieldNames, suggestFieldName } from '../query/index.js';
import type { PackageIndex } from '../resolve/package-index.js';
import type { FilterWarning } from '../store/records.js';
import type { MirrorConfig } from '../store/records.js';

/** Field names as the upstream's paragraphs spell them; read only when a term needs a hint. */
function fieldsSeen(indexes: readonly PackageIndex[]): Set<string> {
  const seen = new Set<string>();
  for (const index of indexes) for (const ip of index.packages()) for (const name of ip.paragraph.names) seen.add(name);
  return seen;
}

/**
 * One warning per top-level filter term that matched no package in any of the mirror's
 * components and architectures, with a "did you mean" when the term reads a field no package
 * has that is close to one that exists.
 */
export function filterWarnings(unmatched: readonly FilterTerm[], config: MirrorConfig, indexes: readonly PackageIndex[]): FilterWarning[] {
  if (unmatched.length === 0) return [];
  const scope = `${config.dist} ${config.components.join(',')} ${config.architectures.join(',')}`;
  let seen: Set<string> | undefined;
  return unmatched.map((term) => {
    let hint: { unknownField: string; didYouMean: string } | undefined;
    for (const field of queryFieldNames(term.query)) {
      seen ??= fieldsSeen(indexes);
      if (seen.has(field)) continue;
      const didYouMean = suggestFieldName(field, [...KNOWN_QUERY_FIELDS, ...seen]);
      if (didYouMean !== undefined) {
        hint = { unknownField: field, didYouMean };
        break;
      }
    }
    const because = hint ? ` (no package has a field ${hint.unknownField}: did you mean ${hint.didYouMean}?)` : '';
    return { code: 'DEBSTASH_E_FILTER_UNMATCHED', message: `filter term \`${term.text}\` matched no package in ${scope}${because}`, term: term.text, ...hint };
  });
}
