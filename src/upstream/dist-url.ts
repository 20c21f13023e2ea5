/**
 * The URL of a distribution's directory, with a trailing slash, as apt builds it:
 * `BASE/dists/DIST/`, or `BASE/DIST` for a flat repository (a DIST ending in "/").
 */
export function distUrl(baseUrl: string, dist: string): string {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  if (dist.endsWith('/')) return dist === '/' ? base : new URL(dist.replace(/^\/+/, ''), base).href;
  return new URL(`dists/${dist}/`, base).href;
}
