import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Content of a file in the package: text, bytes, or that many random bytes (written in pieces). */
export type DebFileContent = string | Uint8Array | { readonly randomBytes: number };

export interface DebSpec {
  name: string;
  version: string;
  architecture: string;
  depends?: string;
  provides?: string;
  /**
   * More control fields, in order, written as `Name: value`. A multi-line value is given with its
   * continuation lines as they appear in the file: `'short\n Long text.\n .\n More.'`.
   * A Maintainer or Description here replaces the default one.
   */
  extraFields?: Readonly<Record<string, string>>;
  /** Files of the package by path relative to the root ("usr/share/doc/foo/README"). */
  files?: Readonly<Record<string, DebFileContent>>;
}

export interface DebBuildOptions {
  compression: 'gzip' | 'xz' | 'zstd' | 'none';
  /** Compression level for dpkg-deb -z (default: dpkg-deb's). */
  level?: number;
}

/**
 * Builds a .deb with the real `dpkg-deb --build --root-owner-group -Z…` (package dpkg-deb must
 * be installed) and returns its path, `dir/NAME_VERSION_ARCH.deb` (epoch left out, as dpkg
 * names files). The build is reproducible: file dates come from SOURCE_DATE_EPOCH=0.
 */
export async function buildDeb(dir: string, spec: DebSpec, options: DebBuildOptions): Promise<string> {
  await mkdir(dir, { recursive: true });
  const root = await mkdtemp(join(dir, `.build-${spec.name}-`));
  try {
    // dpkg-deb insists on 0755..0775 for the tree it packs; mkdtemp makes 0700.
    await chmod(root, 0o755);
    await mkdir(join(root, 'DEBIAN'), { mode: 0o755 });
    await writeFile(join(root, 'DEBIAN', 'control'), controlText(spec));
    for (const [path, content] of Object.entries(spec.files ?? {})) {
      const target = join(root, path);
      await mkdir(dirname(target), { recursive: true, mode: 0o755 });
      await writeContent(target, content);
    }
    const version = spec.version.replace(/^\d+:/, '');
    const out = join(dir, `${spec.name}_${version}_${spec.architecture}.deb`);
    const args = ['--build', '--root-owner-group', `-Z${options.compression}`];
    if (options.level !== undefined) args.push(`-z${options.level}`);
    args.push(root, out);
    await run('dpkg-deb', args, { env: { ...process.env, SOURCE_DATE_EPOCH: '0' } });
    return out;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** The control file buildDeb writes for `spec`. */
export function controlText(spec: DebSpec): string {
  const fields: [string, string][] = [
    ['Package', spec.name],
    ['Version', spec.version],
    ['Architecture', spec.architecture],
  ];
  const extra = spec.extraFields ?? {};
  const has = (name: string): boolean => Object.keys(extra).some((key) => key.toLowerCase() === name.toLowerCase());
  if (!has('Maintainer')) fields.push(['Maintainer', 'Debstash Tests <tests@debstash.invalid>']);
  if (spec.depends !== undefined) fields.push(['Depends', spec.depends]);
  if (spec.provides !== undefined) fields.push(['Provides', spec.provides]);
  fields.push(...Object.entries(extra));
  if (!has('Description')) fields.push(['Description', `test package ${spec.name}\n Built by the debstash test suite.`]);
  return fields.map(([name, value]) => `${name}: ${value}\n`).join('');
}

async function writeContent(path: string, content: DebFileContent): Promise<void> {
  if (typeof content === 'string' || content instanceof Uint8Array) {
    await writeFile(path, content);
    return;
  }
  const out = createWriteStream(path);
  let left = content.randomBytes;
  while (left > 0) {
    const piece = randomBytes(Math.min(left, 1 << 20));
    left -= piece.length;
    if (!out.write(piece)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
}
