import { parseDeb822 } from '../deb/deb822-parse.js';
import type { Paragraph } from '../deb/paragraph.js';
import { compileQuery, parseQuery, queryTargetFromParagraph } from '../query/index.js';
import type { PackageEntry } from '../store/records.js';

/** The stanza of a stored package as a paragraph (every stored stanza is one paragraph). */
export function paragraphOf(p: PackageEntry): Paragraph {
  const [paragraph] = parseDeb822(p.stanza);
  if (paragraph === undefined) throw new Error(`stored package ${p.name} ${p.version} has an empty stanza`);
  return paragraph;
}

/** A query (aptly grammar) as a predicate over stored packages. */
export function packageMatcher(query: string): (p: PackageEntry) => boolean {
  const matches = compileQuery(parseQuery(query));
  return (p) => matches(queryTargetFromParagraph(paragraphOf(p), p.kind));
}
