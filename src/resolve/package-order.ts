import { compareVersions } from '../deb/version.js';
import type { IndexedPackage } from './package-index.js';

/** `name_version_arch`: how a package is named in results, logs and JSON output. */
export function packageId(pkg: IndexedPackage): string {
  return `${pkg.name}_${pkg.version}_${pkg.architecture}`;
}

/** Plain code-unit order: the same on every machine and locale, unlike localeCompare. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * dpkg order, except that a version dpkg refuses sorts before every valid one (then by text):
 * an index with one bad version must still give a deterministic order instead of throwing
 * halfway through a resolution.
 */
export function compareVersionsTotal(a: string, b: string): number {
  if (a === b) return 0;
  try {
    return compareVersions(a, b);
  } catch {
    const va = validVersion(a);
    const vb = validVersion(b);
    if (va !== vb) return va ? 1 : -1;
    return compareStrings(a, b);
  }
}

function validVersion(v: string): boolean {
  try {
    compareVersions(v, v);
    return true;
  } catch {
    return false;
  }
}

/**
 * The order of a resolution's output: name, architecture, version (dpkg order), then the
 * pool file and its hash so that the same package found in two components still sorts the same
 * way whatever the order the indexes were read in.
 */
export function comparePackages(a: IndexedPackage, b: IndexedPackage): number {
  return (
    compareStrings(a.name, b.name) ||
    compareStrings(a.architecture, b.architecture) ||
    compareVersionsTotal(a.version, b.version) ||
    compareStrings(a.paragraph.get('Filename') ?? '', b.paragraph.get('Filename') ?? '') ||
    compareStrings(a.paragraph.get('SHA256') ?? '', b.paragraph.get('SHA256') ?? '')
  );
}
