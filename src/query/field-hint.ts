import type { QueryNode } from './query-ast.js';

/**
 * Fields of Debian binary and source control paragraphs (Policy 5.3, 5.5 and what the archive
 * adds), and the names queries read specially. A misspelt field in a filter reads as "" in
 * every package, so the term silently matches nothing: these are what a hint may point to.
 */
export const KNOWN_QUERY_FIELDS: readonly string[] = [
  'Priority',
  'Section',
  'Name',
  'Version',
  'Architecture',
  'Source',
  'Essential',
  'Protected',
  'Important',
  'Build-Essential',
  'Depends',
  'Pre-Depends',
  'Recommends',
  'Suggests',
  'Enhances',
  'Breaks',
  'Conflicts',
  'Provides',
  'Replaces',
  'Built-Using',
  'Static-Built-Using',
  'Installed-Size',
  'Maintainer',
  'Uploaders',
  'Original-Maintainer',
  'Description',
  'Description-md5',
  'Homepage',
  'Multi-Arch',
  'Tag',
  'Task',
  'Origin',
  'Bugs',
  'Build-Depends',
  'Build-Depends-Indep',
  'Build-Depends-Arch',
  'Build-Conflicts',
  'Standards-Version',
  'Format',
  'Binary',
  'Testsuite',
  'Vcs-Browser',
  'Vcs-Git',
  '$Source',
  '$SourceVersion',
  '$Version',
  '$Architecture',
  '$PackageType',
];

/** The field names a query reads, each once, in order of appearance. */
export function queryFieldNames(q: QueryNode): string[] {
  const out = new Set<string>();
  // Chains nest to the right and may be long: walk with a stack, not recursion.
  const stack: QueryNode[] = [q];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    if (node.kind === 'or' || node.kind === 'and') stack.push(node.right, node.left);
    else if (node.kind === 'not') stack.push(node.operand);
    else if (node.kind === 'field') out.add(node.field);
  }
  return [...out];
}

/** Optimal string alignment distance: edits plus swaps of neighbours (`Priorty` is one). */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const prev = rows[i - 1]!;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      row.push(d);
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}

/**
 * The known field `field` was probably meant to be, or undefined when `field` is itself known
 * or nothing is close. Close means the same letters in another case (names are matched
 * exactly, so `PRIORITY` finds nothing), or one edit away (two for names of 6+ characters),
 * compared without regard to case; the nearest wins, the earlier of `known` on a tie.
 */
export function suggestFieldName(field: string, known: Iterable<string>): string | undefined {
  const candidates = [...known];
  if (candidates.includes(field)) return undefined;
  const folded = field.toLowerCase();
  const limit = field.length >= 6 ? 2 : 1;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const c of candidates) {
    if (c.startsWith('$') !== field.startsWith('$')) continue;
    const d = editDistance(folded, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}
