import { DebstashError } from '../errors/debstash-error.js';

/** The placeholder apt replaces with the snapshot ID it was asked for. */
export const SNAPSHOT_ID_PLACEHOLDER = '@SNAPSHOTID@';

/**
 * The server's public URL (`server.public_url`, `--public-url`, DEBSTASH_PUBLIC_URL) as a base
 * to append paths to: absolute http(s), no query, fragment or credentials, no trailing slash.
 * A signed Release cannot follow the Host a client asked for, so this is the one name it can
 * carry.
 */
export function normalizePublicUrl(value: string, setting: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw publicUrlError(value, setting, 'is not an absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw publicUrlError(value, setting, 'is not http or https');
  if (url.search !== '' || url.hash !== '' || value.includes('?') || value.includes('#')) throw publicUrlError(value, setting, 'has a query or fragment');
  if (url.username !== '' || url.password !== '') throw publicUrlError(value, setting, 'holds credentials, which a signed Release would publish');
  if (/\s/.test(value)) throw publicUrlError(value, setting, 'contains a blank');
  return url.href.replace(/\/+$/, '');
}

function publicUrlError(value: string, setting: string, why: string): DebstashError {
  const shown = value.length > 200 ? `${value.slice(0, 200)}…` : value;
  return new DebstashError('DEBSTASH_E_PUBLIC_URL', `${setting} ${JSON.stringify(shown)} ${why}; give where clients reach the server, e.g. http://mirror.internal:8080`, { setting, value: shown });
}

/**
 * The `Snapshots:` value of a publish at `prefix`: what apt puts in place of the source's URI
 * (the directory holding `dists/` and `pool/`) when asked for a snapshot, with the ID in place
 * of the placeholder. The server answers `/snapshots/ID/PREFIX/...` (snapshot-route.ts).
 */
export function snapshotsTemplate(publicUrl: string, prefix: string): string {
  // The trailing slash matters: apt appends `dists/...` to the expanded template as it is
  // (a source's URIs get one added; this does not), as Debian's and Ubuntu's templates have it.
  return `${publicUrl}/snapshots/${SNAPSHOT_ID_PLACEHOLDER}/${prefix === '' ? '' : `${prefix}/`}`;
}
