/**
 * The route template of a tree path, for metrics labels: a handful of values whatever the
 * prefixes, dists and file names (a label per path would grow without bound).
 */
export function treeRoute(relative: string): string {
  if (relative.startsWith('snapshots/')) return '/snapshots/*';
  if (/(^|\/)pool\//.test(relative)) return '/pool/*';
  if (relative.includes('/by-hash/')) return '/dists/*/by-hash/*';
  const release = /(?:^|\/)dists\/[^/]+\/(InRelease|Release|Release\.gpg)$/.exec(relative);
  if (release !== null) return `/dists/*/${release[1] ?? ''}`;
  if (/(^|\/)dists\//.test(relative)) return '/dists/*';
  return '/*';
}
