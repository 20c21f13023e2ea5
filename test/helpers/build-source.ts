import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface SourceSpec {
  name: string;
  /** Debian version, e.g. `1.0-1` (quilt: upstream 1.0 + revision 1) or `2.3` (native). */
  version: string;
  /** `3.0 (quilt)` (default: .orig.tar.gz + .debian.tar.xz) or `3.0 (native)` (one .tar.xz). */
  format?: '3.0 (quilt)' | '3.0 (native)';
  /** Binary packages the source declares in debian/control (default: one named like the source). */
  binaries?: readonly string[];
  /** Upstream files by path relative to the source tree. */
  files?: Readonly<Record<string, string>>;
}

const MAINTAINER = 'Debstash Tests <tests@debstash.invalid>';

/**
 * Builds a source package with the real `dpkg-source -b` (package dpkg-dev) and returns the
 * path of its .dsc in `dir`, beside its tarballs. For the quilt format the .orig tarball is
 * made first with `tar`. Reproducible: tarball dates come from SOURCE_DATE_EPOCH=0.
 */
export async function buildSource(dir: string, spec: SourceSpec): Promise<string> {
  await mkdir(dir, { recursive: true });
  const format = spec.format ?? '3.0 (quilt)';
  const noEpoch = spec.version.replace(/^\d+:/, '');
  const dash = noEpoch.lastIndexOf('-');
  const upstream = format === '3.0 (quilt)' ? noEpoch.slice(0, dash < 0 ? undefined : dash) : noEpoch;
  if (format === '3.0 (quilt)' && dash < 0) throw new Error(`${spec.name} ${spec.version}: a quilt source needs a Debian revision`);
  // Its own work directory: dpkg-source writes beside the tree, and specs may share `dir`.
  const work = await mkdtemp(join(dir, `.build-${spec.name}-`));
  try {
    const tree = `${spec.name}-${upstream}`;
    const root = join(work, tree);
    const files = { README: `${spec.name} ${upstream}\n`, ...spec.files };
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), text);
    }
    const env = { ...process.env, SOURCE_DATE_EPOCH: '0' };
    if (format === '3.0 (quilt)') {
      const tarArgs = ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner'];
      await run('tar', ['-C', work, ...tarArgs, '-czf', join(work, `${spec.name}_${upstream}.orig.tar.gz`), tree], { env });
    }
    await mkdir(join(root, 'debian', 'source'), { recursive: true });
    await writeFile(join(root, 'debian', 'source', 'format'), `${format}\n`);
    const binaries = spec.binaries ?? [spec.name];
    await writeFile(
      join(root, 'debian', 'control'),
      [
        `Source: ${spec.name}\nMaintainer: ${MAINTAINER}\nSection: misc\nPriority: optional\n`,
        ...binaries.map((b) => `Package: ${b}\nArchitecture: any\nDescription: test package ${b}\n Built by the debstash test suite.\n`),
      ].join('\n'),
    );
    await writeFile(
      join(root, 'debian', 'changelog'),
      `${spec.name} (${spec.version}) unstable; urgency=medium\n\n  * Test build.\n\n -- ${MAINTAINER}  Thu, 01 Jan 1970 00:00:00 +0000\n`,
    );
    await run('dpkg-source', ['-b', tree], { cwd: work, env });
    // What dpkg-source made (and the .orig it used) moves next to the other packages in `dir`.
    const made = (await readdir(work, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
    for (const name of made) await rename(join(work, name), join(dir, name));
    const dsc = made.find((name) => name.endsWith('.dsc'));
    if (dsc === undefined) throw new Error(`dpkg-source made no .dsc for ${spec.name} (made ${made.join(', ')})`);
    return join(dir, dsc);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
