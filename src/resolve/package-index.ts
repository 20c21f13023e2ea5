import { DebstashError } from '../errors/debstash-error.js';
import { sameNameIgnoringCase, type Paragraph } from '../deb/paragraph.js';
import { parseProvides, type Relation } from '../deb/relation.js';
import type { Candidate } from '../deb/relation-satisfy.js';

/**
 * A package as the resolver sees it; the paragraph keeps every other field. It is a
 * `Candidate`, so it can be checked against relation terms directly.
 */
export interface IndexedPackage extends Candidate {
  readonly name: string;
  readonly version: string;
  readonly architecture: string;
  /** The `Multi-Arch` field as written (`same`, `foreign`, `allowed`, `no`), absent when missing. */
  readonly multiArch?: string;
  readonly provides: readonly Relation[];
  readonly paragraph: Paragraph;
}

const NONE: readonly IndexedPackage[] = Object.freeze([]);
const NO_PROVIDES: readonly Relation[] = Object.freeze([]);

/** Where the fields `add` reads sit in a paragraph's field list (-1: absent). */
interface Layout {
  readonly name: number;
  readonly version: number;
  readonly architecture: number;
  readonly multiArch: number;
  readonly provides: number;
}

/**
 * Lookup by package name and by provided (virtual) name: the two questions dependency
 * resolution asks for every term. Insertion order is kept, but nothing the resolver decides
 * depends on it.
 *
 * `add` is on the path of every index read (63k paragraphs for one Debian component), so it
 * does as little as it can:
 * - the parser shares one field-name array among all paragraphs with the same fields in the
 *   same order (a few hundred orders per index), so the positions of the fields read here are
 *   found once per order, not once per paragraph;
 * - Provides is only scanned for the provided names, which the providers map needs; the full
 *   parse (versions) happens when the resolver first looks at the package. Some Provides are
 *   tens of kilobytes (Rust library packages list every feature), and parsing them all would
 *   cost more than the rest of the index.
 * Relation fields such as Depends stay unparsed text in the paragraph: a closure visits a few
 * hundred of the tens of thousands of packages.
 */
export class PackageIndex {
  readonly #byName = new Map<string, IndexedPackage[]>();
  readonly #byProvides = new Map<string, IndexedPackage[]>();
  readonly #layouts = new WeakMap<readonly string[], Layout>();
  #size = 0;

  add(paragraph: Paragraph): IndexedPackage {
    const at = this.#layout(paragraph.names);
    const value = (i: number): string | undefined => (i < 0 ? undefined : paragraph.valueAt(i));
    const providesText = value(at.provides);
    const pkg = new IndexedEntry(
      value(at.name) ?? '',
      value(at.version) ?? '',
      value(at.architecture) ?? '',
      value(at.multiArch),
      providesText,
      paragraph,
    );
    push(this.#byName, pkg.name, pkg);
    if (providesText !== undefined) {
      for (const name of providedNames(providesText)) {
        // `Provides: foo, foo (= 1)` would otherwise list the package twice under foo.
        const list = this.#byProvides.get(name);
        if (list === undefined) this.#byProvides.set(name, [pkg]);
        else if (list[list.length - 1] !== pkg) list.push(pkg);
      }
    }
    this.#size++;
    return pkg;
  }

  /** Every package (each version and architecture) with this name. */
  byName(name: string): readonly IndexedPackage[] {
    return this.#byName.get(name) ?? NONE;
  }

  /** Every package whose Provides names `name`, whatever the provided version. */
  providers(name: string): readonly IndexedPackage[] {
    return this.#byProvides.get(name) ?? NONE;
  }

  get size(): number {
    return this.#size;
  }

  get names(): IterableIterator<string> {
    return this.#byName.keys();
  }

  /** Every package, grouped by name. */
  *packages(): IterableIterator<IndexedPackage> {
    for (const list of this.#byName.values()) yield* list;
  }

  #layout(names: readonly string[]): Layout {
    let layout = this.#layouts.get(names);
    if (layout === undefined) {
      const find = (field: string): number => {
        const exact = names.indexOf(field);
        return exact >= 0 ? exact : names.findIndex((n) => sameNameIgnoringCase(n, field));
      };
      layout = {
        name: find('Package'),
        version: find('Version'),
        architecture: find('Architecture'),
        multiArch: find('Multi-Arch'),
        provides: find('Provides'),
      };
      this.#layouts.set(names, layout);
    }
    return layout;
  }
}

/** The entries `add` makes: one shape for all, Provides parsed on first use. */
class IndexedEntry implements IndexedPackage {
  readonly name: string;
  readonly version: string;
  readonly architecture: string;
  readonly multiArch: string | undefined;
  readonly paragraph: Paragraph;
  #providesText: string | undefined;
  #provides: readonly Relation[] | undefined;

  constructor(
    name: string,
    version: string,
    architecture: string,
    multiArch: string | undefined,
    providesText: string | undefined,
    paragraph: Paragraph,
  ) {
    this.name = name;
    this.version = version;
    this.architecture = architecture;
    this.multiArch = multiArch;
    this.paragraph = paragraph;
    this.#providesText = providesText;
    this.#provides = providesText === undefined ? NO_PROVIDES : undefined;
  }

  /**
   * A Provides that does not parse provides nothing: failing here would abort a whole
   * resolution in the middle for one damaged stanza of a signed index.
   */
  get provides(): readonly Relation[] {
    if (this.#provides === undefined) {
      try {
        this.#provides = parseProvides(this.#providesText ?? '');
      } catch (e) {
        if (!(e instanceof DebstashError)) throw e;
        this.#provides = NO_PROVIDES;
      }
      this.#providesText = undefined;
    }
    return this.#provides;
  }
}

// An item's name runs from the start or a comma, past blanks, to the first character that
// cannot be in a name; the parser reads the same names from any Provides it accepts.
const PROVIDED_NAME = /(?:^|,)\s*([^\s,()[\]<>:|!]+)/g;

function providedNames(text: string): string[] {
  const names: string[] = [];
  for (const m of text.matchAll(PROVIDED_NAME)) names.push(m[1]);
  return names;
}

function push(map: Map<string, IndexedPackage[]>, key: string, pkg: IndexedPackage): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [pkg]);
  else list.push(pkg);
}
