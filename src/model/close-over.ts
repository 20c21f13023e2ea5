import { type IndexedPackage, PackageIndex } from '../resolve/package-index.js';
import { resolveClosure } from '../resolve/resolve-closure.js';
import { type PackageEntry, packageKey, type UnresolvedDependency } from '../store/records.js';
import { binaryArchitectures } from './binary-architectures.js';
import { paragraphOf } from './package-match.js';

/** The dependency closure of `roots` inside `universe` (per package kind, as apt sees them). */
export function closeOver(roots: readonly PackageEntry[], universe: readonly PackageEntry[]): { packages: PackageEntry[]; unresolved: UnresolvedDependency[] } {
  const entryOf = new Map<IndexedPackage, PackageEntry>();
  const indexes = new Map<string, PackageIndex>();
  const rootsByKind = new Map<string, IndexedPackage[]>();
  const rootKeys = new Set(roots.map(packageKey));
  for (const p of universe) {
    if (p.kind === 'source') continue;
    let index = indexes.get(p.kind);
    if (index === undefined) indexes.set(p.kind, (index = new PackageIndex()));
    const ip = index.add(paragraphOf(p));
    entryOf.set(ip, p);
    if (rootKeys.has(packageKey(p))) rootsByKind.set(p.kind, [...(rootsByKind.get(p.kind) ?? []), ip]);
  }
  const out: PackageEntry[] = roots.filter((p) => p.kind === 'source');
  const unresolved: UnresolvedDependency[] = [];
  const found = binaryArchitectures(universe);
  const architectures = found.length > 0 ? found : ['all'];
  for (const [kind, index] of indexes) {
    const result = resolveClosure(rootsByKind.get(kind) ?? [], [index], { architectures });
    for (const ip of result.selected) out.push(entryOf.get(ip) as PackageEntry);
    unresolved.push(...result.unresolved);
  }
  return { packages: out, unresolved };
}
