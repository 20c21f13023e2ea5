/** One package as a Contents index names it, with the paths it installs. */
export interface ContentsPackage {
  readonly name: string;
  /** The Section of its Packages paragraph ('' when it has none). */
  readonly section: string;
  readonly paths: readonly string[];
}

/** Debian's column: dak writes each line as `%-55s %s`. */
const PATH_COLUMN = 55;

/**
 * A Contents index as Debian's archive writes it since 2012 (no header, which apt-file
 * reads): one line per path, sorted by path (byte order), the path padded to column 56, then
 * the packages installing it as `section/name` (just `name` without a section), comma
 * separated and ordered by package name. A package listed twice (same name from two
 * versions) is named once per path.
 */
export function contentsIndexText(packages: readonly ContentsPackage[]): string {
  const byPath = new Map<string, Map<string, string>>();
  for (const p of packages) {
    const qualified = p.section === '' ? p.name : `${p.section}/${p.name}`;
    for (const path of p.paths) {
      // A line break in a path cannot be written in this line-based format.
      if (path.includes('\n')) continue;
      let owners = byPath.get(path);
      if (owners === undefined) byPath.set(path, (owners = new Map()));
      if (!owners.has(p.name)) owners.set(p.name, qualified);
    }
  }
  const lines: string[] = [];
  for (const path of [...byPath.keys()].sort(byteOrder)) {
    const owners = byPath.get(path) as Map<string, string>;
    const list = [...owners.keys()].sort(byteOrder).map((name) => owners.get(name) as string);
    lines.push(`${path.padEnd(PATH_COLUMN)} ${list.join(',')}\n`);
  }
  return lines.join('');
}

/** UTF-16 order, which is UTF-8 byte order except between astral and U+E000..U+FFFF characters. */
function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
