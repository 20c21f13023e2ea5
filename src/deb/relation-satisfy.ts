import { DebstashError } from '../errors/debstash-error.js';
import { archMatches } from './architecture.js';
import type { Alternatives, ArchRestriction, ProfileTerm, Relation, RelationOp } from './relation.js';
import { compareVersions } from './version.js';

/** What a relation is checked against: one binary package of an index. */
export interface Candidate {
  readonly name: string;
  readonly version: string;
  readonly architecture: string;
  /** `same` | `foreign` | `allowed` | `no`; absent means `no`. */
  readonly multiArch?: string;
  readonly provides: readonly Relation[];
}

/** Where the relation comes from; without `arch`, architectures are not checked at all. */
export interface SatisfyContext {
  /** Architecture of the package that declares the relation (may be `all`). */
  readonly arch?: string;
  /**
   * The native architecture, which `Architecture: all` packages and `:native` stand for.
   * Defaults to `arch` unless that is `all`; when unknown, `all` matches every architecture.
   */
  readonly nativeArch?: string;
  /**
   * The relation is from Conflicts, Breaks or Replaces, where dpkg gives an unqualified name an
   * implicit `:any`, and `:any` matches every package whatever its Multi-Arch.
   */
  readonly conflict?: boolean;
}

/** Whether `version` satisfies `op wanted`; no operator means any version does. */
export function versionSatisfies(version: string, op: RelationOp | undefined, wanted: string | undefined): boolean {
  if (op === undefined) return true;
  if (wanted === undefined) {
    throw new DebstashError('DEBSTASH_E_RELATION_INVALID', `operator "${op}" has no version to compare with`, {
      text: op,
      column: 1,
    });
  }
  const c = compareVersions(version, wanted);
  switch (op) {
    case '<<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '=':
      return c === 0;
    case '>=':
      return c >= 0;
    case '>>':
      return c > 0;
  }
}

/**
 * Whether a package of `c`'s architecture and Multi-Arch may satisfy `term`, following dpkg's
 * deparchsatisfied (lib/dpkg/depcon.c) and the MultiarchSpec (wiki.ubuntu.com/MultiarchSpec):
 * - unqualified: a package of the depending package's architecture, or `Multi-Arch: foreign` of
 *   any architecture ("foreign: ... allowed to satisfy the dependencies of a package of a
 *   different architecture from itself");
 * - `:any`: only a `Multi-Arch: allowed` package, of any architecture. A package that is not
 *   `allowed` never satisfies `:any`, not even one of the same architecture: dpkg checks
 *   exactly that, and apt models `allowed` as an implicit `Provides: name:any`, so nothing else
 *   provides it;
 * - `:native`: like unqualified, for the native architecture (build dependencies);
 * - `:arch`: only a package of that architecture (dpkg: no `foreign` shortcut for explicit
 *   qualifiers);
 * - `Architecture: all` counts as the native architecture, on both sides.
 */
function archSatisfied(c: Candidate, term: Relation, ctx: SatisfyContext): boolean {
  if (ctx.arch === undefined) return true;
  const multiArch = c.multiArch?.toLowerCase();
  const qualifier = term.archQualifier?.toLowerCase();
  const implicit = qualifier === undefined || qualifier === 'native';
  if (implicit && multiArch === 'foreign') return true;
  if (ctx.conflict === true && (qualifier === undefined || qualifier === 'any')) return true;
  if (qualifier === 'any') return multiArch === 'allowed';
  const native = ctx.nativeArch ?? (ctx.arch === 'all' ? undefined : ctx.arch);
  const wanted = qualifier === undefined ? ctx.arch : qualifier === 'native' ? native : qualifier;
  const resolve = (arch: string | undefined): string | undefined => (arch === 'all' ? native : arch);
  const w = resolve(wanted);
  const have = resolve(c.architecture);
  // An `all` whose native architecture is unknown could be any of them.
  if (w === undefined || have === undefined) return true;
  return w === have;
}

/**
 * Whether candidate `c` satisfies one relation term: by its own name and version, or by one of
 * its Provides. A versioned term is satisfied only by a Provides with `=` and a matching
 * version; an unversioned Provides never satisfies a versioned term (Policy 7.5). Names compare
 * exactly (dpkg folds case, but names here come from indexes, which use lowercase).
 * The arch rules (see archSatisfied) apply to Provides through the providing package, as in
 * dpkg: Provides of a `Multi-Arch: foreign` package satisfy other architectures too, and
 * `virtual:any` is satisfied by a Provides of a `Multi-Arch: allowed` package (apt would say no;
 * saying yes keeps such a dependency closure complete).
 */
export function satisfiesRelation(c: Candidate, term: Relation, context?: SatisfyContext): boolean {
  const ctx = context ?? {};
  if (c.name === term.name && versionSatisfies(c.version, term.op, term.version) && archSatisfied(c, term, ctx)) {
    return true;
  }
  for (const p of c.provides) {
    if (p.name !== term.name) continue;
    if (term.op !== undefined) {
      if (p.op !== '=' || p.version === undefined) continue;
      if (!versionSatisfies(p.version, term.op, term.version)) continue;
    }
    if (archSatisfied(c, term, ctx)) return true;
  }
  return false;
}

/** Whether any of the alternatives is satisfied by candidate `c`. */
export function satisfiesAlternatives(c: Candidate, group: Alternatives, context?: SatisfyContext): boolean {
  return group.some((term) => satisfiesRelation(c, term, context));
}

/**
 * Dpkg::Arch's debarch_is_concerned: a positive entry that matches selects the term; a negated
 * entry that matches rejects it; a list of only non-matching negated entries selects it.
 */
export function archIsConcerned(arch: string, restrictions: readonly ArchRestriction[]): boolean {
  let seen = false;
  for (const r of restrictions) {
    if (r.negated) {
      if (archMatches(arch, r.arch)) return false;
      seen = true;
    } else if (archMatches(arch, r.arch)) {
      return true;
    }
  }
  return seen;
}

/** A restriction formula (OR of ANDs) against the active build profiles (Dpkg::BuildProfiles). */
export function profilesSatisfied(formula: readonly (readonly ProfileTerm[])[], active: readonly string[]): boolean {
  return formula.some((list) => list.every((t) => active.includes(t.name) !== t.negated));
}

/**
 * Whether a term is in force when building or installing for `arch` with the build profiles
 * `profiles` active (none by default): its `[arch]` list names the architecture (wildcards like
 * `linux-any` and `any-amd64` included) and its `<profile>` formula holds.
 */
export function relationApplies(term: Relation, arch: string, profiles: readonly string[] = []): boolean {
  if (term.arches !== undefined && !archIsConcerned(arch, term.arches)) return false;
  if (term.profiles !== undefined && !profilesSatisfied(term.profiles, profiles)) return false;
  return true;
}

/**
 * Keeps the terms in force for `arch` and `profiles`, without their restrictions, and drops
 * groups left empty (like Dpkg::Deps with reduce_restrictions).
 */
export function reduceRelations(
  list: readonly Alternatives[],
  arch: string,
  profiles: readonly string[] = [],
): Alternatives[] {
  const out: Alternatives[] = [];
  for (const group of list) {
    const kept = group
      .filter((t) => relationApplies(t, arch, profiles))
      .map(({ arches: _arches, profiles: _profiles, ...rest }) => rest);
    if (kept.length > 0) out.push(kept);
  }
  return out;
}
