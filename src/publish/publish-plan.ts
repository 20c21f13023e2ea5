import { compareVersions } from '../deb/version.js';
import type { PackageEntry } from '../store/records.js';
import { fileNameOf, poolDirectory } from './pool-layout.js';
import { type PreviousIndex, previousParagraph } from './previous-index.js';
import { publishError } from './publish-error.js';
import { normalizedStanza, stanzaField, withStanzaField } from './stanza-text.js';

/** A package file as published: where under the prefix, and which pool file it is. */
export interface PoolPlacement {
  /** Relative to the prefix root: `pool/main/f/foo/foo_1.0-1_amd64.deb`. */
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
}

export type IndexKind = 'packages' | 'installer' | 'sources';

/** One index to write, with its paragraphs in their published order. */
export interface PlannedIndex {
  /** Relative to `dists/DIST/`: `main/binary-amd64/Packages`, `main/source/Sources`. */
  readonly path: string;
  /** The directory it is in (where its by-hash/ and Release are). */
  readonly dir: string;
  readonly kind: IndexKind;
  readonly component: string;
  /** The binary architecture, or `source`. */
  readonly architecture: string;
  /** Package name of each paragraph (chunk cuts fall only between different names). */
  readonly names: readonly string[];
  /**
   * The paragraphs, each ending with one newline; the index joins them with blank lines. A
   * paragraph the previous generation published is its bytes there (see paragraphText).
   */
  readonly paragraphs: readonly (string | Buffer)[];
  /** Each paragraph's length in UTF-16 code units plus one (what chunking counts). */
  readonly sizes: readonly number[];
  /** The previous generation's index of this path that paragraphs were taken from. */
  readonly previous?: PreviousIndex;
  /** SHA-256 of each paragraph's package file (a source's first file). */
  readonly sha256s: readonly string[];
}

export interface PublishPlan {
  readonly indexes: readonly PlannedIndex[];
  /** Every published package file, by path. */
  readonly pool: ReadonlyMap<string, PoolPlacement>;
  /** Binary architectures (without `all`), in the order given. */
  readonly architectures: readonly string[];
  readonly components: readonly string[];
  /** Packages left out because no published index takes their architecture. */
  readonly skipped: number;
  /** Distinct packages published. */
  readonly packages: number;
  /** Packages whose paragraph was rendered from their stanza (the others were the previous generation's). */
  readonly rendered: number;
}

interface Row {
  readonly name: string;
  readonly version: string;
  readonly architecture: string;
  readonly paragraph: string | Buffer;
  readonly size: number;
  readonly sha256: string;
}

/** A planned paragraph as text. */
export function paragraphText(paragraph: string | Buffer): string {
  return typeof paragraph === 'string' ? paragraph : paragraph.toString('utf8');
}

function describe(e: PackageEntry): string {
  return `${e.name} ${e.version} ${e.architecture} (${e.kind})`;
}

function byPublishedOrder(a: Row, b: Row): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  if (a.version !== b.version) {
    let c: number;
    try {
      c = compareVersions(a.version, b.version);
    } catch {
      c = 0;
    }
    if (c !== 0) return c;
    return a.version < b.version ? -1 : 1;
  }
  if (a.architecture !== b.architecture) return a.architecture < b.architecture ? -1 : 1;
  // Same name, version and architecture with other bytes: rare, so text is made only here.
  const [x, y] = [paragraphText(a.paragraph), paragraphText(b.paragraph)];
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The binary's source package name: `Source: name (version)` or, without it, its own name. */
function sourceName(stanza: string, name: string): string {
  const source = stanzaField(stanza, 'Source');
  if (source === undefined || source === '') return name;
  const space = source.search(/[\s(]/);
  return space < 0 ? source : source.slice(0, space);
}

function binaryDir(kind: 'deb' | 'udeb', component: string, architecture: string): string {
  return kind === 'udeb' ? `${component}/debian-installer/binary-${architecture}` : `${component}/binary-${architecture}`;
}

/** Where (relative to `dists/DIST/`) the Packages index of binaries of `kind` is. */
export function binaryIndexPath(kind: 'deb' | 'udeb', component: string, architecture: string): string {
  return `${binaryDir(kind, component, architecture)}/Packages`;
}

/** A binary package's paragraph rendered from its stanza, with Filename in this prefix's pool. */
function renderBinary(e: PackageEntry, component: string): { row: Row; path: string } {
  const first = e.files[0] as PackageEntry['files'][number];
  const original = normalizedStanza(e.stanza, () => describe(e));
  const listed = stanzaField(original, 'SHA256');
  if (listed !== undefined && listed.toLowerCase() !== first.sha256) {
    throw publishError('conflict', `${describe(e)}: its index paragraph says SHA256 ${listed} but the package file is ${first.sha256}`, { package: describe(e) });
  }
  // Both parts are checked: the directory by poolDirectory, the file name by fileNameOf.
  const path = `${poolDirectory(component, sourceName(original, e.name))}/${fileNameOf(first.path, `${e.name} Filename`)}`;
  const paragraph = withStanzaField(original, 'Filename', path);
  return { row: { name: e.name, version: e.version, architecture: e.architecture, paragraph, size: paragraph.length + 1, sha256: first.sha256 }, path };
}

/**
 * Decides, without touching the disk, what a publish contains: every index with its rewritten
 * paragraphs (Filename / Directory pointing into this prefix's pool) sorted by name, version
 * and architecture, and every pool file with its path. Architecture `all` packages go into
 * every architecture's index, as Debian does. Fails (nothing written yet) when two packages
 * need one pool path with different bytes, or a record cannot be published.
 *
 * A binary package whose paragraph the previous generation's index of the same path has
 * (`previous`, by identity) is taken from there as it is: its stanza is neither read nor
 * rendered again, so a republish after a small change renders only what changed.
 */
export function planPublish(
  components: readonly { readonly name: string; readonly packages: readonly PackageEntry[] }[],
  architectures: readonly string[],
  previous: ReadonlyMap<string, PreviousIndex> = new Map(),
): PublishPlan {
  const arches = [...new Set(architectures.filter((a) => a !== 'all'))];
  const pool = new Map<string, PoolPlacement>();
  const place = (p: PoolPlacement, e: PackageEntry): void => {
    if (!/^[0-9a-f]{64}$/.test(p.sha256) || !Number.isSafeInteger(p.size) || p.size < 0) {
      throw publishError('conflict', `${describe(e)}: its file ${p.path} has no valid SHA-256 and size`, { package: describe(e) });
    }
    const had = pool.get(p.path);
    if (had === undefined) pool.set(p.path, p);
    else if (had.sha256 !== p.sha256) {
      throw publishError('conflict', `two different files would be published as ${p.path} (the second from ${describe(e)}); publish only one of them`, {
        path: p.path,
        package: describe(e),
      });
    }
  };

  let skipped = 0;
  let packages = 0;
  let rendered = 0;
  const perComponent: { name: string; binaries: Map<string, Row[]>; udebs: Map<string, Row[]>; sources: Row[] }[] = [];
  let anySources = false;
  let anyUdebs = false;
  for (const { name: component, packages: entries } of components) {
    const binaries = new Map(arches.map((a): [string, Row[]] => [a, []]));
    const udebs = new Map(arches.map((a): [string, Row[]] => [a, []]));
    const sources: Row[] = [];
    const seen = new Set<string>();
    for (const e of entries) {
      const first = e.files[0];
      if (first === undefined) throw publishError('conflict', `${describe(e)} has no files`, { package: describe(e) });
      const key = `${e.kind}\0${e.name}\0${e.version}\0${e.architecture}\0${first.sha256}`;
      if (seen.has(key)) continue;
      if (e.kind === 'source') {
        seen.add(key);
        packages++;
        anySources = true;
        const dir = poolDirectory(component, e.name);
        for (const f of e.files) place({ path: `${dir}/${fileNameOf(f.path, `${e.name} file`)}`, sha256: f.sha256, size: f.size }, e);
        const stanza = withStanzaField(normalizedStanza(e.stanza, () => describe(e)), 'Directory', dir);
        rendered++;
        sources.push({ name: e.name, version: e.version, architecture: 'source', paragraph: stanza, size: stanza.length + 1, sha256: first.sha256 });
        continue;
      }
      const targets = e.architecture === 'all' ? arches : arches.includes(e.architecture) ? [e.architecture] : [];
      if (targets.length === 0) {
        skipped++;
        continue;
      }
      seen.add(key);
      packages++;
      if (e.kind === 'udeb') anyUdebs = true;
      const into = e.kind === 'udeb' ? udebs : binaries;
      let own: { row: Row; path: string } | undefined;
      let placed = false;
      for (const a of targets) {
        const old = previousParagraph(previous.get(binaryIndexPath(e.kind, component, a)), e);
        let row: Row;
        if (old !== undefined) {
          row = { name: e.name, version: e.version, architecture: e.architecture, paragraph: old.bytes, size: old.size, sha256: first.sha256 };
          if (!placed) place({ path: old.filename, sha256: first.sha256, size: first.size }, e);
        } else {
          if (own === undefined) {
            own = renderBinary(e, component);
            rendered++;
          }
          row = own.row;
          if (!placed) place({ path: own.path, sha256: first.sha256, size: first.size }, e);
        }
        placed = true;
        (into.get(a) as Row[]).push(row);
      }
    }
    perComponent.push({ name: component, binaries, udebs, sources });
  }

  const indexes: PlannedIndex[] = [];
  const add = (kind: IndexKind, component: string, architecture: string, dir: string, file: string, rows: Row[]): void => {
    rows.sort(byPublishedOrder);
    indexes.push({
      path: `${dir}/${file}`,
      dir,
      kind,
      component,
      architecture,
      names: rows.map((r) => r.name),
      paragraphs: rows.map((r) => r.paragraph),
      sizes: rows.map((r) => r.size),
      sha256s: rows.map((r) => r.sha256),
      ...(kind !== 'sources' && previous.has(`${dir}/${file}`) ? { previous: previous.get(`${dir}/${file}`) } : {}),
    });
  };
  for (const c of perComponent) {
    for (const a of arches) {
      add('packages', c.name, a, binaryDir('deb', c.name, a), 'Packages', c.binaries.get(a) as Row[]);
      if (anyUdebs) add('installer', c.name, a, binaryDir('udeb', c.name, a), 'Packages', c.udebs.get(a) as Row[]);
    }
    if (anySources) add('sources', c.name, 'source', `${c.name}/source`, 'Sources', c.sources);
  }
  return { indexes, pool, architectures: arches, components: perComponent.map((c) => c.name), skipped, packages, rendered };
}
