import { DebstashError } from '../errors/debstash-error.js';
import { parseRelations, type Alternatives } from '../deb/relation.js';
import type { IndexedPackage } from './package-index.js';

/** The relation fields a closure follows. */
export type DependencyField = 'Pre-Depends' | 'Depends' | 'Recommends';

/** A field's groups, or its text when it does not parse. */
export type ParsedField =
  | { readonly ok: true; readonly groups: readonly Alternatives[] }
  | { readonly ok: false; readonly text: string };

const EMPTY: ParsedField = Object.freeze({ ok: true, groups: Object.freeze([]) });

/**
 * Parses a package's relation fields on first use and keeps them: an `Architecture: all`
 * package is visited once per mirror architecture, and parsing is the costliest part of a visit.
 */
export class RelationCache {
  readonly #cache = new Map<IndexedPackage, Map<DependencyField, ParsedField>>();

  get(pkg: IndexedPackage, field: DependencyField): ParsedField {
    let fields = this.#cache.get(pkg);
    if (fields === undefined) {
      fields = new Map();
      this.#cache.set(pkg, fields);
    }
    let parsed = fields.get(field);
    if (parsed === undefined) {
      parsed = parse(pkg.paragraph.get(field));
      fields.set(field, parsed);
    }
    return parsed;
  }
}

function parse(text: string | undefined): ParsedField {
  if (text === undefined) return EMPTY;
  try {
    return { ok: true, groups: parseRelations(text) };
  } catch (e) {
    if (!(e instanceof DebstashError)) throw e;
    return { ok: false, text: text.replace(/\s+/g, ' ').trim() };
  }
}
