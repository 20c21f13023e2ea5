import { serializeParagraph } from '../deb/deb822-serialize.js';
import { Paragraph } from '../deb/paragraph.js';

/** Digests and size of one file the Release lists. */
export interface FileDigest {
  readonly size: number;
  readonly md5: string;
  readonly sha256: string;
  readonly sha512: string;
}

/** What the top of a Release says about the repository. */
export interface ReleaseMeta {
  readonly origin?: string;
  readonly label?: string;
  readonly suite: string;
  readonly codename: string;
  readonly description?: string;
}

/** `Sat, 10 Feb 2024 10:02:58 UTC`, as Debian's archive writes Date. */
export function releaseDate(date: Date): string {
  return date.toUTCString().replace(/GMT$/, 'UTC');
}

function sumLines(files: ReadonlyMap<string, FileDigest>, hash: 'md5' | 'sha256' | 'sha512'): string {
  const paths = [...files.keys()].sort();
  const width = Math.max(1, ...paths.map((p) => String((files.get(p) as FileDigest).size).length));
  let out = '';
  for (const path of paths) {
    const f = files.get(path) as FileDigest;
    out += `\n ${f[hash]} ${String(f.size).padStart(width)} ${path}`;
  }
  return out;
}

/**
 * The top Release of a distribution: the fields apt and people read, then the sums of every
 * index (paths relative to `dists/DIST/`, sorted). `Acquire-By-Hash: yes` because every index
 * is also under `by-hash/SHA256/`.
 */
export function releaseText(options: {
  readonly meta: ReleaseMeta;
  readonly date: Date;
  readonly architectures: readonly string[];
  readonly components: readonly string[];
  readonly files: ReadonlyMap<string, FileDigest>;
  readonly md5: boolean;
  /** The `Snapshots:` URL template (snapshots-template.ts), when the publish offers time travel. */
  readonly snapshots?: string;
}): string {
  const { meta } = options;
  const fields: [string, string][] = [];
  if (meta.origin !== undefined) fields.push(['Origin', meta.origin]);
  if (meta.label !== undefined) fields.push(['Label', meta.label]);
  fields.push(['Suite', meta.suite], ['Codename', meta.codename], ['Date', releaseDate(options.date)], ['Acquire-By-Hash', 'yes']);
  fields.push(['Architectures', options.architectures.join(' ')], ['Components', options.components.join(' ')]);
  if (meta.description !== undefined) fields.push(['Description', meta.description]);
  if (options.snapshots !== undefined) fields.push(['Snapshots', options.snapshots]);
  if (options.md5) fields.push(['MD5Sum', sumLines(options.files, 'md5')]);
  fields.push(['SHA256', sumLines(options.files, 'sha256')], ['SHA512', sumLines(options.files, 'sha512')]);
  return serializeParagraph(Paragraph.from(fields));
}

/** The small Release beside each index (`main/binary-amd64/Release`), as Debian has. */
export function indexReleaseText(meta: ReleaseMeta, component: string, architecture: string): string {
  const fields: [string, string][] = [['Archive', meta.suite]];
  if (meta.origin !== undefined) fields.push(['Origin', meta.origin]);
  if (meta.label !== undefined) fields.push(['Label', meta.label]);
  fields.push(['Acquire-By-Hash', 'yes'], ['Component', component], ['Architecture', architecture]);
  return serializeParagraph(Paragraph.from(fields));
}
