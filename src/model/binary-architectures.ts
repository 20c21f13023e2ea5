import type { PackageEntry } from '../store/records.js';

/** The real architectures a package set has binaries for (not `all`, not `source`), sorted. */
export function binaryArchitectures(packages: readonly PackageEntry[]): string[] {
  return [...new Set(packages.map((p) => p.architecture).filter((a) => a !== 'all' && a !== 'source'))].sort();
}
