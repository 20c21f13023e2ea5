import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildDeb, type DebSpec } from './build-deb.js';

const run = promisify(execFile);

/** A throwaway OpenPGP signing key in its own GnuPG home. */
export interface TestKey {
  readonly home: string;
  readonly fingerprint: string;
  /** The public key as a binary keyring file, what `Signed-By` / `--keyring` take. */
  readonly keyring: string;
  /** The same key armored. */
  readonly armored: string;
}

/** Makes a signing key with the real `gpg` (no passphrase, never expires). */
export async function makeTestKey(dir: string, name = 'Debstash Test Archive', algo = 'ed25519'): Promise<TestKey> {
  const home = join(dir, `gnupg-${name.replace(/\W+/g, '-')}`);
  await mkdir(home, { recursive: true, mode: 0o700 });
  const gpg = (...args: string[]) => run('gpg', ['--batch', '--homedir', home, ...args]);
  await gpg('--passphrase', '', '--pinentry-mode', 'loopback', '--quick-gen-key', `${name} <archive@debstash.invalid>`, algo, 'sign', 'never');
  const { stdout } = await gpg('--with-colons', '--list-keys');
  const fingerprint = /^fpr:+([0-9A-F]{40,64}):/m.exec(stdout)?.[1];
  if (fingerprint === undefined) throw new Error(`no fingerprint in gpg output:\n${stdout}`);
  const keyring = join(dir, `${name.replace(/\W+/g, '-')}.gpg`);
  const armored = join(dir, `${name.replace(/\W+/g, '-')}.asc`);
  await gpg('--output', keyring, '--export', fingerprint);
  await gpg('--armor', '--output', armored, '--export', fingerprint);
  return { home, fingerprint, keyring, armored };
}

export interface ArchiveSpec {
  readonly codename: string;
  readonly suite?: string;
  readonly architectures: readonly string[];
  /** Packages per component. */
  readonly components: Readonly<Record<string, readonly DebSpec[]>>;
  /** Signs Release/InRelease with this key; unsigned when absent. */
  readonly key?: TestKey;
  /** Extra Release fields, e.g. { 'ValidFor': '3d' } as reprepro's distributions file takes them. */
  readonly distributionFields?: Readonly<Record<string, string>>;
}

/** reprepro files every package by Section and Priority, as the archive's overrides would. */
function withArchiveFields(p: DebSpec): DebSpec {
  const extra = p.extraFields ?? {};
  const has = (name: string): boolean => Object.keys(extra).some((k) => k.toLowerCase() === name.toLowerCase());
  return { ...p, extraFields: { ...(has('Section') ? {} : { Section: 'misc' }), ...(has('Priority') ? {} : { Priority: 'optional' }), ...extra } };
}

/**
 * Builds a Debian archive the way real ones are built: .debs by `dpkg-deb`, the archive
 * (pool/, dists/, Packages{,.gz,.xz}, Release, InRelease, Release.gpg) by `reprepro`, signed
 * by `gpg`. Returns the archive root, ready to be served over HTTP.
 */
export async function buildArchive(dir: string, spec: ArchiveSpec): Promise<string> {
  const root = join(dir, 'archive');
  const debs = join(dir, 'debs');
  await mkdir(join(root, 'conf'), { recursive: true });
  const fields: Record<string, string> = {
    Origin: 'Debstash Tests',
    Label: 'Debstash Tests',
    Codename: spec.codename,
    ...(spec.suite ? { Suite: spec.suite } : {}),
    Architectures: spec.architectures.join(' '),
    Components: Object.keys(spec.components).join(' '),
    Description: 'fixture archive built by the debstash tests',
    DebIndices: 'Packages Release . .gz .xz',
    ...(spec.key ? { SignWith: spec.key.fingerprint } : {}),
    ...spec.distributionFields,
  };
  await writeFile(join(root, 'conf', 'distributions'), `${Object.entries(fields).map(([k, v]) => `${k}: ${v}`).join('\n')}\n`);
  await writeFile(join(root, 'conf', 'options'), 'verbose\n');
  const env = { ...process.env, ...(spec.key ? { GNUPGHOME: spec.key.home } : {}) };
  for (const [component, packages] of Object.entries(spec.components)) {
    const files: string[] = [];
    for (const p of packages) files.push(await buildDeb(join(debs, component), withArchiveFields(p), { compression: 'xz' }));
    if (files.length > 0) await run('reprepro', ['-b', root, '-C', component, 'includedeb', spec.codename, ...files], { env });
  }
  // Make sure every listed index exists even for empty components, as in real archives.
  await run('reprepro', ['-b', root, 'export', spec.codename], { env });
  return root;
}
