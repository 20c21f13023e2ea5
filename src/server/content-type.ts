import { isImmutable } from '../deb/tree-content-type.js';

export { contentType, isImmutable } from '../deb/tree-content-type.js';

/**
 * pool/ files and by-hash/ entries never change under a name, so proxies may keep them;
 * Release/InRelease and the plain index names change on every publish, so they revalidate.
 */
export function cacheControl(relative: string): string {
  return isImmutable(relative) ? 'public, max-age=31536000, immutable' : 'no-cache';
}

