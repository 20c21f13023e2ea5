import { packageKey, type PackageEntry } from '../store/records.js';
import type { Context } from './context.js';
import { packageSummary } from './mirror-admin.js';
import { packageMatcher } from './package-match.js';

/** Where a package is: one mirror, repo or snapshot, under one component. */
export interface PackageLocation {
  readonly kind: 'mirror' | 'repo' | 'snapshot';
  readonly name: string;
  readonly component: string;
}

/** One package (by identity, so the same bytes are listed once) and everywhere it is. */
export interface PackageHit extends ReturnType<typeof packageSummary> {
  readonly kind: PackageEntry['kind'];
  /** The index paragraph (what `package show` prints). */
  readonly stanza: string;
  readonly locations: readonly PackageLocation[];
}

/**
 * `package search|show QUERY` (aptly grammar) across every mirror, repo and snapshot; sorted by
 * name, architecture and version as the store lists them.
 */
export async function searchPackages(ctx: Context, query: string): Promise<PackageHit[]> {
  const matches = packageMatcher(query);
  const sets: { kind: PackageLocation['kind']; name: string; packages: () => Promise<PackageEntry[]> }[] = [
    ...(await ctx.store.listMirrors()).map((m) => ({ kind: 'mirror' as const, name: m.name, packages: () => ctx.store.mirrorPackages(m.name) })),
    ...(await ctx.store.listRepos()).map((r) => ({ kind: 'repo' as const, name: r.name, packages: () => ctx.store.repoPackages(r.name) })),
    ...(await ctx.store.listSnapshots()).map((s) => ({ kind: 'snapshot' as const, name: s.name, packages: () => ctx.store.snapshotPackages(s.name) })),
  ];
  const hits = new Map<string, { entry: PackageEntry; locations: PackageLocation[] }>();
  for (const set of sets) {
    for (const p of (await set.packages()).filter(matches)) {
      const key = packageKey(p);
      const hit = hits.get(key) ?? { entry: p, locations: [] };
      hit.locations.push({ kind: set.kind, name: set.name, component: p.component });
      hits.set(key, hit);
    }
  }
  return [...hits.values()]
    .sort((a, b) => compareEntries(a.entry, b.entry))
    .map(({ entry, locations }) => ({ kind: entry.kind, ...packageSummary(entry), stanza: entry.stanza, locations }));
}

function compareEntries(a: PackageEntry, b: PackageEntry): number {
  for (const [x, y] of [[a.name, b.name], [a.architecture, b.architecture], [a.version, b.version], [a.kind, b.kind]] as const) {
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
