import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { buildDeb, type DebSpec } from './build-deb.js';
import { buildSource, type SourceSpec } from './build-source.js';
import { GpgHome } from './gpg-home.js';

const run = promisify(execFile);

/** A throwaway archive signing key; `close()` stops its gpg-agent and removes it. */
export interface TestKey {
  readonly gpg: GpgHome;
  readonly fingerprint: string;
  /** The public key as a binary keyring file, what `Signed-By` / `--keyring` take. */
  readonly keyring: string;
  close(): Promise<void>;
}

/** Makes a signing key with the real `gpg` and writes its public keyring into `dir`. */
export async function makeTestKey(dir: string, name = 'Debstash Test Archive'): Promise<TestKey> {
  const gpg = await GpgHome.create();
  const fingerprint = await gpg.generateKey(`${name} <archive@debstash.invalid>`, 'ed25519');
  const keyring = join(dir, `${name.replace(/\W+/g, '-')}.gpg`);
  await mkdir(dir, { recursive: true });
  await writeFile(keyring, await gpg.exportKeys([fingerprint]));
  return { gpg, fingerprint, keyring, close: () => gpg.close() };
}

export interface ArchiveSpec {
  readonly codename: string;
  readonly suite?: string;
  readonly architectures: readonly string[];
  /** Packages per component. */
  readonly components: Readonly<Record<string, readonly DebSpec[]>>;
  readonly key: TestKey;
  /** Extra fields for reprepro's conf/distributions, e.g. { ValidFor: '3d' }. */
  readonly distributionFields?: Readonly<Record<string, string>>;
  /**
   * Source packages per component, built by `dpkg-source -b` and listed in
   * `COMPONENT/source/Sources`. Given (even empty), the distribution takes source packages and
   * exports Sources uncompressed, gz and xz; pass it again on later calls for the same `dir`.
   */
  readonly sources?: Readonly<Record<string, readonly SourceSpec[]>>;
  /**
   * udebs per component, in `COMPONENT/debian-installer/binary-ARCH/Packages`. Given (even
   * empty), its components are the udeb components; absent, the Release lists no such index.
   * Pass it again on later calls for the same `dir`, or the udeb indexes stop being exported.
   */
  readonly udebs?: Readonly<Record<string, readonly DebSpec[]>>;
}

/** reprepro files every package by Section and Priority, as the archive's overrides would. */
function withArchiveFields(p: DebSpec): DebSpec {
  const extra = p.extraFields ?? {};
  const has = (name: string): boolean => Object.keys(extra).some((k) => k.toLowerCase() === name.toLowerCase());
  return { ...p, extraFields: { ...(has('Section') ? {} : { Section: 'misc' }), ...(has('Priority') ? {} : { Priority: 'optional' }), ...extra } };
}

/**
 * Builds a Debian archive the way real ones are built: .debs (and udebs) by `dpkg-deb`, source
 * packages by `dpkg-source`, the archive (pool/, dists/, Packages{,.gz,.xz}, Sources, Release,
 * InRelease, Release.gpg) by `reprepro`, signed by `gpg`. Returns the archive root
 * (`dir/archive`), ready to be served over HTTP. Called again on the same `dir` with more
 * packages, it adds them (a changed upstream).
 */
export async function buildArchive(dir: string, spec: ArchiveSpec): Promise<string> {
  const root = join(dir, 'archive');
  await mkdir(join(root, 'conf'), { recursive: true });
  const fields: Record<string, string> = {
    Origin: 'Debstash Tests',
    Label: 'Debstash Tests',
    Codename: spec.codename,
    ...(spec.suite ? { Suite: spec.suite } : {}),
    // reprepro takes source packages only into a distribution whose architectures say so.
    Architectures: [...spec.architectures, ...(spec.sources ? ['source'] : [])].join(' '),
    Components: Object.keys(spec.components).join(' '),
    Description: 'fixture archive built by the debstash tests',
    DebIndices: 'Packages Release . .gz .xz',
    ...(spec.sources ? { DscIndices: 'Sources Release . .gz .xz' } : {}),
    ...(spec.udebs ? { UDebComponents: Object.keys(spec.udebs).join(' '), UDebIndices: 'Packages Release . .gz .xz' } : {}),
    SignWith: spec.key.fingerprint,
    ...spec.distributionFields,
  };
  await writeFile(join(root, 'conf', 'distributions'), `${Object.entries(fields).map(([k, v]) => `${k}: ${v}`).join('\n')}\n`);
  const env = { ...process.env, GNUPGHOME: spec.key.gpg.dir };
  for (const [component, packages] of Object.entries(spec.components)) {
    const files: string[] = [];
    for (const p of packages) files.push(await buildDeb(join(dir, 'debs', component), withArchiveFields(p), { compression: 'xz' }));
    if (files.length > 0) await run('reprepro', ['-b', root, '-C', component, 'includedeb', spec.codename, ...files], { env });
  }
  for (const [component, packages] of Object.entries(spec.udebs ?? {})) {
    const files: string[] = [];
    for (const p of packages) {
      const built = await buildDeb(join(dir, 'udebs', component), withArchiveFields(p), { compression: 'xz' });
      // reprepro knows a udeb by its name.
      const udeb = built.replace(/\.deb$/, '.udeb');
      await rename(built, udeb);
      files.push(udeb);
    }
    if (files.length > 0) await run('reprepro', ['-b', root, '-C', component, 'includeudeb', spec.codename, ...files], { env });
  }
  for (const [component, packages] of Object.entries(spec.sources ?? {})) {
    for (const p of packages) {
      const dsc = await buildSource(join(dir, 'sources', component), p);
      // A .dsc carries no Section or Priority; the archive's overrides would.
      await run('reprepro', ['-b', root, '-C', component, '-S', 'misc', '-P', 'optional', 'includedsc', spec.codename, dsc], { env });
    }
  }
  // Every listed index exists even for empty components, as in real archives.
  await run('reprepro', ['-b', root, 'export', spec.codename], { env });
  return root;
}

const digests = { MD5Sum: 'md5', SHA1: 'sha1', SHA256: 'sha256', SHA512: 'sha512' } as const;

/**
 * Plays a hostile or broken upstream that still signs what it serves: rewrites one
 * uncompressed index with `edit`, regenerates its .gz and .xz, updates every checksum section
 * of Release and signs InRelease and Release.gpg again with `key`.
 */
export async function rewriteIndex(root: string, dist: string, index: string, edit: (text: string) => string, key: TestKey): Promise<void> {
  const distDir = join(root, 'dists', dist);
  const plain = join(distDir, index);
  const text = edit(await readFile(plain, 'utf8'));
  await writeFile(plain, text);
  await writeFile(`${plain}.gz`, gzipSync(text));
  await run('xz', ['-kf', '-T1', plain]);
  const changed = new Map<string, Buffer>();
  for (const ext of ['', '.gz', '.xz']) changed.set(`${index}${ext}`, await readFile(`${plain}${ext}`));
  let section: keyof typeof digests | undefined;
  const release = (await readFile(join(distDir, 'Release'), 'utf8'))
    .split('\n')
    .map((line) => {
      const head = /^([A-Za-z0-9-]+):/.exec(line);
      if (head) section = head[1] !== undefined && head[1] in digests ? (head[1] as keyof typeof digests) : undefined;
      const entry = /^ ([0-9a-f]+)\s+(\d+)\s+(\S+)$/.exec(line);
      const bytes = entry?.[3] === undefined ? undefined : changed.get(entry[3]);
      if (section === undefined || entry === null || bytes === undefined) return line;
      return ` ${createHash(digests[section]).update(bytes).digest('hex')} ${String(bytes.length).padStart(16)} ${entry[3]}`;
    })
    .join('\n');
  await writeFile(join(distDir, 'Release'), release);
  await writeFile(join(distDir, 'InRelease'), await key.gpg.clearsign(release, [key.fingerprint]));
  await writeFile(join(distDir, 'Release.gpg'), await key.gpg.detachSign(release, [key.fingerprint]));
}
