import type { Paragraph } from '../deb/paragraph.js';
import { parseProvides, type Relation } from '../deb/relation.js';

/** A package as the resolver sees it; the paragraph keeps every other field. */
export interface IndexedPackage {
  readonly name: string;
  readonly version: string;
  readonly architecture: string;
  readonly provides: readonly Relation[];
  readonly paragraph: Paragraph;
}

const NONE: readonly IndexedPackage[] = Object.freeze([]);

/**
 * Lookup by package name and by provided (virtual) name: the two questions dependency
 * resolution asks for every term. Insertion order is kept so answers are deterministic.
 */
export class PackageIndex {
  readonly #byName = new Map<string, IndexedPackage[]>();
  readonly #byProvides = new Map<string, IndexedPackage[]>();
  #size = 0;

  add(paragraph: Paragraph): IndexedPackage {
    const providesText = paragraph.get('Provides');
    const pkg: IndexedPackage = {
      name: paragraph.get('Package') ?? '',
      version: paragraph.get('Version') ?? '',
      architecture: paragraph.get('Architecture') ?? '',
      provides: providesText === undefined ? [] : parseProvides(providesText),
      paragraph,
    };
    push(this.#byName, pkg.name, pkg);
    for (const p of pkg.provides) push(this.#byProvides, p.name, pkg);
    this.#size++;
    return pkg;
  }

  byName(name: string): readonly IndexedPackage[] {
    return this.#byName.get(name) ?? NONE;
  }

  providers(name: string): readonly IndexedPackage[] {
    return this.#byProvides.get(name) ?? NONE;
  }

  get size(): number {
    return this.#size;
  }

  get names(): IterableIterator<string> {
    return this.#byName.keys();
  }
}

function push(map: Map<string, IndexedPackage[]>, key: string, pkg: IndexedPackage): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [pkg]);
  else list.push(pkg);
}
