import { Paragraph } from '../../src/deb/paragraph.js';
import { PackageIndex, type IndexedPackage } from '../../src/resolve/package-index.js';
import { packageId } from '../../src/resolve/package-order.js';
import type { ResolveResult } from '../../src/resolve/resolve-closure.js';

/** `name version arch` plus optional fields, as a Packages stanza would have them. */
export function stanza(head: string, fields: Readonly<Record<string, string>> = {}): Paragraph {
  const [name, version, arch] = head.split(' ');
  if (name === undefined || version === undefined || arch === undefined) throw new Error(`bad head: ${head}`);
  return Paragraph.from({
    Package: name,
    Version: version,
    Architecture: arch,
    ...fields,
    Filename: `pool/${name}_${version.replace(/^\d+:/, '')}_${arch}.deb`,
  });
}

/** An index of the stanzas, and a lookup of its packages by `name_version_arch`. */
export function indexOf(stanzas: readonly Paragraph[]): { index: PackageIndex; get: (id: string) => IndexedPackage } {
  const index = new PackageIndex();
  const byId = new Map<string, IndexedPackage>();
  for (const s of stanzas) {
    const pkg = index.add(s);
    byId.set(packageId(pkg), pkg);
  }
  return {
    index,
    get(id: string): IndexedPackage {
      const pkg = byId.get(id);
      if (pkg === undefined) throw new Error(`no package ${id} in the fixture`);
      return pkg;
    },
  };
}

export function ids(result: ResolveResult): string[] {
  return result.selected.map(packageId);
}
