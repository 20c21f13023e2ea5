/**
 * Turns a request path into a path relative to a served tree, or says why not. Pure: the
 * caller still checks that the file, with symlinks resolved, lies inside the tree.
 */
export type TreePath = { readonly ok: true; readonly relative: string } | { readonly ok: false; readonly status: 400 | 404; readonly why: string };

/**
 * A path with nothing to decode or check: non-empty segments, none starting with a dot, no
 * percent sign, backslash or NUL. Most requests look like this; they skip the decoding.
 */
const PLAIN_PATH = /^(?:\/[^/.%\\\0][^/%\\\0]*)+$/;

export function resolveTreePath(urlPath: string): TreePath {
  if (PLAIN_PATH.test(urlPath)) return { ok: true, relative: urlPath.slice(1) };
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return { ok: false, status: 400, why: 'malformed percent-encoding' };
  }
  if (decoded.includes('\0')) return { ok: false, status: 400, why: 'NUL in path' };
  if (decoded.includes('\\')) return { ok: false, status: 400, why: 'backslash in path' };
  if (!decoded.startsWith('/')) return { ok: false, status: 400, why: 'path must start with /' };
  const segments = decoded.split('/').filter((s) => s !== '');
  for (const s of segments) {
    // Refused, not normalized: no honest client sends them, and normalizing invites tricks.
    if (s === '..' || s === '.') return { ok: false, status: 400, why: 'dot segment in path' };
    if (s.startsWith('.')) return { ok: false, status: 404, why: 'hidden file' };
  }
  return { ok: true, relative: segments.join('/') };
}
