import { DebstashError } from '../errors/debstash-error.js';

/**
 * Checks a path an index gives relative to the archive root (`Filename`, `Directory`, a
 * Release entry). The signature covers the index, so a path that climbs out (`..`), is
 * absolute, or smuggles separators means a broken or compromised upstream: refuse it rather
 * than write or fetch outside the tree.
 */
export function checkArchivePath(path: string, what: string): string {
  const bad = (why: string): never => {
    throw new DebstashError('DEBSTASH_E_UNSAFE_PATH', `${what}: path ${JSON.stringify(path.slice(0, 300))} ${why}`, {
      path: path.slice(0, 300),
      what,
    });
  };
  if (path === '') bad('is empty');
  if (path.startsWith('/')) bad('is absolute');
  if (path.includes('\\')) bad('contains a backslash');
  // Control characters (NUL, newline) would corrupt indexes and logs.
  if (/[\x00-\x1f\x7f]/.test(path)) bad('contains a control character');
  for (const segment of path.split('/')) {
    if (segment === '..') bad('climbs out of the archive with ".."');
    if (segment === '' || segment === '.') bad('has an empty or "." segment');
  }
  return path;
}
