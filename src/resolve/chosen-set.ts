import type { Alternatives } from '../deb/relation.js';
import type { SatisfyContext } from '../deb/relation-satisfy.js';
import { satisfies } from './candidate-choice.js';
import type { IndexedPackage } from './package-index.js';

/**
 * Packages chosen so far, indexed the way dependency checks ask: "does anything chosen satisfy
 * this group?" is asked for every group of every visited package, so it must not scan the set.
 */
export class ChosenSet {
  readonly #members = new Set<IndexedPackage>();
  readonly #byName = new Map<string, IndexedPackage[]>();
  readonly #byProvides = new Map<string, IndexedPackage[]>();

  /** Adds the package; false if it was already there. */
  add(pkg: IndexedPackage): boolean {
    if (this.#members.has(pkg)) return false;
    this.#members.add(pkg);
    push(this.#byName, pkg.name, pkg);
    for (const p of pkg.provides) {
      const list = this.#byProvides.get(p.name);
      if (list === undefined) this.#byProvides.set(p.name, [pkg]);
      else if (list[list.length - 1] !== pkg) list.push(pkg);
    }
    return true;
  }

  has(pkg: IndexedPackage): boolean {
    return this.#members.has(pkg);
  }

  hasName(name: string): boolean {
    return this.#byName.has(name);
  }

  get size(): number {
    return this.#members.size;
  }

  values(): IterableIterator<IndexedPackage> {
    return this.#members.values();
  }

  /** Whether some member satisfies some term of the group. */
  satisfies(group: Alternatives, ctx: SatisfyContext): boolean {
    for (const term of group) {
      const named = this.#byName.get(term.name);
      if (named !== undefined && named.some((p) => satisfies(p, term, ctx))) return true;
      const providing = this.#byProvides.get(term.name);
      if (providing !== undefined && providing.some((p) => satisfies(p, term, ctx))) return true;
    }
    return false;
  }
}

function push(map: Map<string, IndexedPackage[]>, key: string, pkg: IndexedPackage): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [pkg]);
  else list.push(pkg);
}
