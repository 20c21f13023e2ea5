import { formatRelations, type Alternatives } from '../deb/relation.js';
import { relationApplies, type SatisfyContext } from '../deb/relation-satisfy.js';
import { chooseForTerm, type ChoiceRules } from './candidate-choice.js';
import { ChosenSet } from './chosen-set.js';
import type { IndexedPackage, PackageIndex } from './package-index.js';
import { comparePackages, compareStrings, packageId } from './package-order.js';
import { RelationCache, type DependencyField } from './relation-cache.js';

export interface ResolveOptions {
  /** The mirror's architectures; the first is the native one. Must not be empty. */
  readonly architectures: readonly string[];
  /** Also follow Recommends (default false); Pre-Depends and Depends are always followed. */
  readonly withRecommends?: boolean;
}

export interface Unresolved {
  /** The depending package, as `name_version_arch`. */
  readonly package: string;
  /** The whole group of alternatives, written canonically: `libfoo (>= 2) | libbar`. */
  readonly dependency: string;
}

export interface ResolveResult {
  /** Roots and everything added for them, sorted by name, architecture, version. */
  readonly selected: readonly IndexedPackage[];
  /** Dependencies nothing could satisfy, sorted and without repeats. */
  readonly unresolved: readonly Unresolved[];
}

/**
 * The dependency closure of `roots` (the filter's matches, all kept whatever their versions).
 *
 * `indexes[0]` is the mirror's own package set (all its components): packages added to the
 * closure come from there. Later entries are `--deps-from` mirrors.
 *
 * How a group of alternatives is settled, in this order:
 * 1. Terms whose `[arch]` / `<profile>` restrictions exclude the context are dropped (no
 *    profile is active when installing); a group left empty is ignored.
 * 2. If a chosen package (a root, an added package, or a package of a `--deps-from` mirror we
 *    already rely on) satisfies any alternative, nothing is added. This is what "no
 *    over-selection" means: aptly adds every alternative when none is present.
 * 3. If a package of a `--deps-from` mirror satisfies any alternative, nothing is added: the
 *    other mirror carries it and clients have both sources. That package's own dependencies are
 *    then followed too (choosing it like step 4 does), because it is installable only if they
 *    are: a security update may need libfoo from main, and libfoo may in turn need a newer
 *    libbar that only the security mirror has, which must then be selected here. What such a
 *    package needs from its own mirror is found there and not copied; what nothing satisfies is
 *    reported as unresolved under that package's name, since it breaks our packages too.
 * 4. Otherwise the first alternative, in written order, that some package of the mirror
 *    satisfies gets one package (see chooseForTerm for which one); if none does, the group is
 *    reported as unresolved (except for Recommends, whose absence breaks nothing).
 *
 * Order of work, which decides what "already chosen" means in step 2 and so makes the result
 * smaller and deterministic: roots are visited sorted (comparePackages), then breadth first.
 * Groups that leave no real choice (one alternative, met by a real package or by providers of
 * a single name) are settled at once; groups with a choice are postponed until nothing else is
 * left, then settled one at a time, each followed by everything it pulls in, so that a choice
 * is made only once every forced dependency is known and may already satisfy it. Recommends
 * come after all Depends. The same packages and options give the same result whatever the
 * order of `roots` and of each index.
 *
 * Architectures: a package of architecture A has its dependencies checked as A would install it
 * (satisfiesRelation's Multi-Arch rules, with A as native architecture, since every mirror
 * architecture is the native one of some client). An `Architecture: all` package is installed
 * as whatever a client's native architecture is, so its dependencies are checked once per
 * mirror architecture. Packages of architectures the mirror does not carry are never chosen.
 *
 * Conflicts and Breaks are not considered: a mirror may carry packages that cannot be installed
 * together; the client's apt chooses among them.
 *
 * A relation field that does not parse is reported as unresolved with its text as the
 * dependency; a candidate whose version dpkg refuses satisfies nothing. Neither stops the run.
 */
export function resolveClosure(
  roots: readonly IndexedPackage[],
  indexes: readonly PackageIndex[],
  options: ResolveOptions,
): ResolveResult {
  return new Closure(indexes, options).run(roots);
}

/** How a package of (or installed as) architecture `arch` sees its dependencies. */
type Context = SatisfyContext & { readonly arch: string };

interface PendingGroup {
  readonly pkg: IndexedPackage;
  readonly ctx: Context;
  /** The terms in force in `ctx`. */
  readonly terms: Alternatives;
  /** As written, for the unresolved report. */
  readonly group: Alternatives;
  readonly field: DependencyField;
}

class Closure {
  readonly #own: readonly PackageIndex[];
  readonly #others: readonly PackageIndex[];
  readonly #architectures: readonly string[];
  readonly #carried: ReadonlySet<string>;
  readonly #contexts: ReadonlyMap<string, Context>;
  readonly #fields: readonly DependencyField[];

  readonly #selected = new ChosenSet();
  /** Packages of `--deps-from` mirrors relied on (step 3), followed but not selected. */
  readonly #relied = new ChosenSet();
  readonly #relations = new RelationCache();
  readonly #queue: IndexedPackage[] = [];
  #head = 0;
  readonly #pendingDepends: PendingGroup[] = [];
  readonly #pendingRecommends: PendingGroup[] = [];
  readonly #pendingAt = { depends: 0, recommends: 0 };
  readonly #unresolved = new Map<string, Unresolved>();

  constructor(indexes: readonly PackageIndex[], options: ResolveOptions) {
    if (options.architectures.length === 0) {
      throw new RangeError('resolveClosure: the mirror has no architecture');
    }
    this.#own = indexes.slice(0, 1);
    this.#others = indexes.slice(1);
    this.#architectures = options.architectures;
    this.#carried = new Set(options.architectures);
    this.#contexts = new Map(options.architectures.map((arch) => [arch, { arch, nativeArch: arch }]));
    this.#fields = options.withRecommends === true ? ['Pre-Depends', 'Depends', 'Recommends'] : ['Pre-Depends', 'Depends'];
  }

  run(roots: readonly IndexedPackage[]): ResolveResult {
    for (const root of [...roots].sort(comparePackages)) this.#select(root);
    for (;;) {
      this.#drain();
      if (this.#settleNext(this.#pendingDepends, 'depends')) continue;
      if (this.#settleNext(this.#pendingRecommends, 'recommends')) continue;
      break;
    }
    const selected = [...this.#selected.values()].sort(comparePackages);
    const unresolved = [...this.#unresolved.values()].sort(
      (a, b) => compareStrings(a.package, b.package) || compareStrings(a.dependency, b.dependency),
    );
    return { selected, unresolved };
  }

  #select(pkg: IndexedPackage): void {
    if (this.#selected.add(pkg)) this.#queue.push(pkg);
  }

  #rely(pkg: IndexedPackage): void {
    if (this.#relied.add(pkg)) this.#queue.push(pkg);
  }

  #drain(): void {
    while (this.#head < this.#queue.length) this.#visit(this.#queue[this.#head++]);
  }

  /** Settles postponed groups in order until one adds something; false when none is left. */
  #settleNext(list: PendingGroup[], which: 'depends' | 'recommends'): boolean {
    while (this.#pendingAt[which] < list.length) {
      const p = list[this.#pendingAt[which]++];
      this.#settle(p, false);
      if (this.#head < this.#queue.length) return true;
    }
    return false;
  }

  #visit(pkg: IndexedPackage): void {
    for (const ctx of this.#contextsOf(pkg)) {
      for (const field of this.#fields) {
        const parsed = this.#relations.get(pkg, field);
        if (!parsed.ok) {
          if (field !== 'Recommends') this.#report(pkg, parsed.text);
          continue;
        }
        for (const group of parsed.groups) {
          const terms = group.filter((t) => relationApplies(t, ctx.arch));
          if (terms.length > 0) this.#settle({ pkg, ctx, terms, group, field }, true);
        }
      }
    }
  }

  #contextsOf(pkg: IndexedPackage): Context[] {
    if (pkg.architecture === 'all') return [...this.#contexts.values()];
    // A root of an architecture the mirror does not carry still gets its own context, so that
    // what it needs is reported rather than silently skipped.
    return [this.#contexts.get(pkg.architecture) ?? { arch: pkg.architecture, nativeArch: pkg.architecture }];
  }

  /** Steps 2 to 4 of resolveClosure's comment, or postponement when `mayPostpone`. */
  #settle(p: PendingGroup, mayPostpone: boolean): void {
    const { ctx, terms } = p;
    if (this.#selected.satisfies(terms, ctx) || this.#relied.satisfies(terms, ctx)) return;
    if (this.#relyOnOthers(terms, ctx)) return;
    if (mayPostpone && p.field === 'Recommends') {
      this.#pendingRecommends.push(p);
      return;
    }
    const rules = this.#rules(ctx, this.#selected);
    if (mayPostpone && terms.length > 1) {
      // Unsatisfiable groups are reported now; others wait for the forced dependencies.
      if (terms.some((t) => chooseForTerm(t, this.#own, ctx, rules) !== undefined)) this.#pendingDepends.push(p);
      else this.#report(p.pkg, formatRelations([p.group]));
      return;
    }
    for (const term of terms) {
      const choice = chooseForTerm(term, this.#own, ctx, rules);
      if (choice === undefined) continue;
      if (mayPostpone && choice.contested) {
        this.#pendingDepends.push(p);
        return;
      }
      this.#select(choice.pkg);
      return;
    }
    if (p.field !== 'Recommends') this.#report(p.pkg, formatRelations([p.group]));
  }

  /** Step 3: a `--deps-from` mirror satisfies the group; follow the package we rely on. */
  #relyOnOthers(terms: Alternatives, ctx: Context): boolean {
    if (this.#others.length === 0) return false;
    const rules = this.#rules(ctx, this.#relied);
    for (const term of terms) {
      const choice = chooseForTerm(term, this.#others, ctx, rules);
      if (choice !== undefined) {
        this.#rely(choice.pkg);
        return true;
      }
    }
    return false;
  }

  #rules(ctx: Context, chosen: ChosenSet): ChoiceRules {
    return {
      archRank: (arch) => {
        if (arch === ctx.arch || arch === 'all') return 0;
        const i = this.#architectures.indexOf(arch);
        return i < 0 ? this.#architectures.length + 1 : i + 1;
      },
      nameChosen: (name) => chosen.hasName(name),
      accept: (pkg) => pkg.architecture === 'all' || this.#carried.has(pkg.architecture),
    };
  }

  #report(pkg: IndexedPackage, dependency: string): void {
    const entry: Unresolved = { package: packageId(pkg), dependency };
    this.#unresolved.set(`${entry.package}\0${entry.dependency}`, entry);
  }
}
