import { checkArchivePath } from '../deb/archive-path.js';
import { serializeParagraph } from '../deb/deb822-serialize.js';
import type { Paragraph } from '../deb/paragraph.js';
import { DebstashError } from '../errors/debstash-error.js';
import type { PackageEntry, PackageFile, PackageKind } from '../store/records.js';

const SHA256 = /^[0-9a-f]{64}$/;

function invalid(p: Paragraph, why: string): DebstashError {
  const id = `${p.get('Package') ?? '?'} ${p.get('Version') ?? '?'}`;
  return new DebstashError('DEBSTASH_E_INDEX_INVALID', `index entry ${id} ${why}`, { package: id });
}

function checkedFile(p: Paragraph, path: string, sha256: string | undefined, size: string | undefined): PackageFile {
  const hash = sha256?.trim().toLowerCase();
  if (hash === undefined || !SHA256.test(hash)) throw invalid(p, 'has no valid SHA256');
  const n = Number(size);
  if (size === undefined || !/^\d+$/.test(size.trim()) || !Number.isSafeInteger(n)) throw invalid(p, 'has no valid Size');
  return { path: checkArchivePath(path, `${p.get('Package')} Filename`), sha256: hash, size: n };
}

/** A binary package of a Packages index, with its file checked and the stanza kept as written. */
export function binaryEntry(p: Paragraph, component: string, kind: Extract<PackageKind, 'deb' | 'udeb'>): PackageEntry {
  const name = p.get('Package');
  const version = p.get('Version');
  const architecture = p.get('Architecture');
  if (!name || !version || !architecture) throw invalid(p, 'lacks Package, Version or Architecture');
  const filename = p.get('Filename');
  if (filename === undefined) throw invalid(p, 'has no Filename');
  return {
    kind,
    name,
    version,
    architecture,
    component,
    stanza: serializeParagraph(p),
    files: [checkedFile(p, filename, p.get('SHA256'), p.get('Size'))],
  };
}

/** A source package of a Sources index: its .dsc and tarballs from Checksums-Sha256. */
export function sourceEntry(p: Paragraph, component: string): PackageEntry {
  const name = p.get('Package');
  const version = p.get('Version');
  if (!name || !version) throw invalid(p, 'lacks Package or Version');
  const directory = checkArchivePath(p.get('Directory') ?? '', `${name} Directory`);
  const files: PackageFile[] = [];
  for (const line of (p.get('Checksums-Sha256') ?? '').split('\n')) {
    if (line.trim() === '') continue;
    // A line that is not "sha256 size name" would drop a file of the package without a word.
    const parts = line.trim().split(/\s+/);
    if (parts.length !== 3) throw invalid(p, `has a Checksums-Sha256 line that is not "sha256 size name" (${line.trim().slice(0, 200)})`);
    const [sha256, size, file] = parts as [string, string, string];
    if (file.includes('/')) throw invalid(p, `lists a file with a "/" (${file})`);
    files.push(checkedFile(p, `${directory}/${file}`, sha256, size));
  }
  if (files.length === 0) throw invalid(p, 'has no Checksums-Sha256 files');
  if (!files.some((f) => f.path.endsWith('.dsc'))) throw invalid(p, 'lists no .dsc in Checksums-Sha256');
  // The .dsc first: it is what identifies a source package's bytes.
  files.sort((a, b) => Number(b.path.endsWith('.dsc')) - Number(a.path.endsWith('.dsc')));
  return { kind: 'source', name, version, architecture: 'source', component, stanza: serializeParagraph(p), files };
}
