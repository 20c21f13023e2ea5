import { DebstashError } from '../errors/debstash-error.js';

/**
 * The URL of a distribution's directory, with a trailing slash, as apt builds it:
 * `BASE/dists/DIST/`, or `BASE/DIST` for a flat repository (a DIST ending in "/").
 */
export function distUrl(baseUrl: string, dist: string): string {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  if (dist.endsWith('/')) return dist === '/' ? base : new URL(dist.replace(/^\/+/, ''), base).href;
  return new URL(`dists/${dist}/`, base).href;
}

/**
 * Refuses a path from a Release or index that could leave the directory it is relative to
 * ("..", ".", empty segments, absolute paths, backslashes, NUL): DEBSTASH_E_UNSAFE_PATH.
 */
export function checkRelativePath(path: string, source: string): void {
  const bad =
    path.length === 0 ||
    path.startsWith('/') ||
    path.includes('\\') ||
    path.includes('\0') ||
    path.split('/').some((s) => s === '' || s === '.' || s === '..');
  if (bad) throw new DebstashError('DEBSTASH_E_UNSAFE_PATH', `${source}: refusing path ${JSON.stringify(path)}`, { source, path });
}
