/* What a file of an APT tree is, by its name: shared by the server and by the bucket upload of a publish. */

const BY_EXTENSION: Readonly<Record<string, string>> = {
  deb: 'application/vnd.debian.binary-package',
  udeb: 'application/vnd.debian.binary-package',
  dsc: 'text/plain; charset=utf-8',
  gz: 'application/gzip',
  xz: 'application/x-xz',
  bz2: 'application/x-bzip2',
  zst: 'application/zstd',
  gpg: 'application/pgp-signature',
  asc: 'application/pgp-keys',
  sources: 'text/plain; charset=utf-8',
};

/** Content type of a file in an APT tree; indexes without an extension are text. */
export function contentType(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  if (dot < 0) return /^[0-9a-f]{64}$/.test(name) ? 'application/octet-stream' : 'text/plain; charset=utf-8';
  return BY_EXTENSION[name.slice(dot + 1)] ?? 'application/octet-stream';
}

/** A name whose content never changes once written (it may only disappear). */
export function isImmutable(relative: string): boolean {
  return relative.includes('/by-hash/') || /(^|\/)pool\//.test(relative);
}
