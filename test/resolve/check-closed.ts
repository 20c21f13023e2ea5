import { formatRelations, parseRelations, type Alternatives } from '../../src/deb/relation.js';
import { relationApplies, satisfiesRelation } from '../../src/deb/relation-satisfy.js';
import type { IndexedPackage, PackageIndex } from '../../src/resolve/package-index.js';
import { packageId } from '../../src/resolve/package-order.js';
import type { ResolveOptions, ResolveResult } from '../../src/resolve/resolve-closure.js';

/**
 * An oracle written apart from the resolver: every Pre-Depends/Depends group of every selected
 * package, in each architecture it installs as, is met by a selected package or by any package
 * of a `--deps-from` index, or is listed as unresolved. Returns the groups that are neither.
 */
export function brokenDependencies(
  result: ResolveResult,
  others: readonly PackageIndex[],
  options: ResolveOptions,
): string[] {
  const byName = new Map<string, IndexedPackage[]>();
  const add = (key: string, p: IndexedPackage): void => {
    const list = byName.get(key) ?? [];
    list.push(p);
    byName.set(key, list);
  };
  for (const p of result.selected) {
    add(p.name, p);
    for (const prov of p.provides) add(prov.name, p);
  }
  const reported = new Set(result.unresolved.map((u) => `${u.package} ${u.dependency}`));
  const broken: string[] = [];
  for (const p of result.selected) {
    const arches = p.architecture === 'all' ? options.architectures : [p.architecture];
    for (const arch of arches) {
      const ctx = { arch, nativeArch: arch };
      for (const field of ['Pre-Depends', 'Depends']) {
        const text = p.paragraph.get(field);
        if (text === undefined) continue;
        let groups: Alternatives[];
        try {
          groups = parseRelations(text);
        } catch {
          continue;
        }
        for (const group of groups) {
          const terms = group.filter((t) => relationApplies(t, arch));
          if (terms.length === 0) continue;
          const met = terms.some((t) => {
            const inSet = (byName.get(t.name) ?? []).some((c) => safe(() => satisfiesRelation(c, t, ctx)));
            const inOthers = others.some((idx) =>
              [...idx.byName(t.name), ...idx.providers(t.name)].some(
                (c) =>
                  (c.architecture === 'all' || options.architectures.includes(c.architecture)) &&
                  safe(() => satisfiesRelation(c, t, ctx)),
              ),
            );
            return inSet || inOthers;
          });
          const written = formatRelations([group]);
          if (!met && !reported.has(`${packageId(p)} ${written}`)) broken.push(`${packageId(p)} [${arch}] ${field}: ${written}`);
        }
      }
    }
  }
  return broken;
}

function safe(f: () => boolean): boolean {
  try {
    return f();
  } catch {
    return false;
  }
}
