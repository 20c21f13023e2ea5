import { DebstashError } from '../errors/debstash-error.js';
import type { Relation } from '../deb/relation.js';
import { satisfiesRelation, type SatisfyContext } from '../deb/relation-satisfy.js';
import type { IndexedPackage, PackageIndex } from './package-index.js';
import { compareStrings, compareVersionsTotal } from './package-order.js';

/** What the resolver tells the choice about its current state. */
export interface ChoiceRules {
  /** Lower is better: 0 for the depending package's architecture and `all`, then the mirror's order. */
  archRank(arch: string): number;
  /** Whether a package of this name is already chosen (in another version or architecture). */
  nameChosen(name: string): boolean;
  /** Whether the package may be chosen at all (its architecture is one the mirror carries). */
  accept(pkg: IndexedPackage): boolean;
}

export interface Choice {
  readonly pkg: IndexedPackage;
  /**
   * The term was met only through Provides, by packages of more than one name: a real choice
   * between different software, which the resolver postpones in case something else settles it.
   */
  readonly contested: boolean;
}

/**
 * `satisfiesRelation`, except that a candidate whose version dpkg refuses satisfies nothing
 * instead of failing the whole resolution (the relation text itself was checked when parsed).
 */
export function satisfies(pkg: IndexedPackage, term: Relation, ctx: SatisfyContext): boolean {
  try {
    return satisfiesRelation(pkg, term, ctx);
  } catch (e) {
    if (e instanceof DebstashError) return false;
    throw e;
  }
}

/**
 * The one package to add for a relation term, from `sources`, or undefined if none satisfies it.
 *
 * - A real package of the term's name beats any provider, as in apt's MarkInstall ("see if
 *   there are direct matches" before looking at providers).
 * - Among real packages: the depender's own architecture (or `all`) first, because it installs
 *   on a client of that architecture without enabling another one; then the highest version
 *   (dpkg order) that satisfies the term, which is apt's candidate when nothing is pinned.
 * - Among providers: one whose name is already chosen, then what apt's pkgPrioSortList orders by
 *   when it installs a dependency on a virtual package (apt's test
 *   test-prefer-higher-priority-providers): `Essential: yes`, `Important: yes`, then Priority
 *   required > important > standard > optional > extra (missing or unknown last), then the name;
 *   then architecture and version as for real packages. apt refuses to pick among several
 *   providers only when the user names the virtual package on the command line; a mirror has
 *   to settle every dependency, so this rule decides, and decides the same way whatever the
 *   order of the index.
 * - Last tie-breaks (two components carrying the same name, version and architecture): the pool
 *   file name, then its SHA-256, so the choice never depends on insertion order.
 */
export function chooseForTerm(
  term: Relation,
  sources: readonly PackageIndex[],
  ctx: SatisfyContext,
  rules: ChoiceRules,
): Choice | undefined {
  let best: IndexedPackage | undefined;
  for (const index of sources) {
    for (const pkg of index.byName(term.name)) {
      if (!rules.accept(pkg) || !satisfies(pkg, term, ctx)) continue;
      if (best === undefined || compareReal(pkg, best, rules) < 0) best = pkg;
    }
  }
  if (best !== undefined) return { pkg: best, contested: false };

  let firstName: string | undefined;
  let contested = false;
  for (const index of sources) {
    for (const pkg of index.providers(term.name)) {
      if (!rules.accept(pkg) || !satisfies(pkg, term, ctx)) continue;
      if (firstName === undefined) firstName = pkg.name;
      else if (pkg.name !== firstName) contested = true;
      if (best === undefined || compareProviders(pkg, best, rules) < 0) best = pkg;
    }
  }
  return best === undefined ? undefined : { pkg: best, contested };
}

/** Negative when `a` is the better real package. */
function compareReal(a: IndexedPackage, b: IndexedPackage, rules: ChoiceRules): number {
  return (
    rules.archRank(a.architecture) - rules.archRank(b.architecture) ||
    compareVersionsTotal(b.version, a.version) ||
    lastTieBreak(a, b)
  );
}

/** Negative when `a` is the better provider. */
function compareProviders(a: IndexedPackage, b: IndexedPackage, rules: ChoiceRules): number {
  return (
    flag(rules.nameChosen(b.name)) - flag(rules.nameChosen(a.name)) ||
    flag(yes(b, 'Essential')) - flag(yes(a, 'Essential')) ||
    flag(yes(b, 'Important')) - flag(yes(a, 'Important')) ||
    priorityRank(a) - priorityRank(b) ||
    compareStrings(a.name, b.name) ||
    compareReal(a, b, rules)
  );
}

function lastTieBreak(a: IndexedPackage, b: IndexedPackage): number {
  return (
    compareStrings(a.architecture, b.architecture) ||
    compareStrings(a.paragraph.get('Filename') ?? '', b.paragraph.get('Filename') ?? '') ||
    compareStrings(a.paragraph.get('SHA256') ?? '', b.paragraph.get('SHA256') ?? '')
  );
}

const PRIORITIES: ReadonlyMap<string, number> = new Map([
  ['required', 0],
  ['important', 1],
  ['standard', 2],
  ['optional', 3],
  ['extra', 4],
]);

function priorityRank(pkg: IndexedPackage): number {
  const value = pkg.paragraph.get('Priority');
  return (value === undefined ? undefined : PRIORITIES.get(value.trim().toLowerCase())) ?? PRIORITIES.size;
}

function yes(pkg: IndexedPackage, field: string): boolean {
  return pkg.paragraph.get(field)?.trim().toLowerCase() === 'yes';
}

function flag(b: boolean): number {
  return b ? 1 : 0;
}
