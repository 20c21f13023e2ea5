import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { forEachConcurrent } from '../concurrency/for-each-concurrent.js';
import { DebstashError, isDebstashError } from '../errors/debstash-error.js';
import { putLocalFile } from '../pool/put-local-file.js';
import type { MirrorConfig, PackageEntry, PublishRecord, SnapshotOrigin } from '../store/records.js';
import { aptlyConfigPath, checkAptlyConfig } from './aptly-cli.js';
import { type AptlyInstallation, type AptlyPublish, readAptlyInstallation } from './aptly-installation.js';
import type { Context } from './context.js';
import { normalizeMirrorConfig } from './normalize-mirror-config.js';
import { binaryEntry } from './package-entry.js';
import { publish } from './publish-ops.js';
import { validateName } from './validate-name.js';

export interface ImportAptlyOptions {
  /** aptly.conf; default where aptly looks (~/.aptly.conf, /etc/aptly.conf). */
  readonly config?: string;
  /** Keyrings for the imported mirrors: aptly keeps none per mirror (default its trustedkeys.gpg). */
  readonly keyrings?: readonly string[];
  readonly passphrase?: string;
  readonly signal?: AbortSignal;
}

export interface ImportAptlyResult {
  readonly installation: AptlyInstallation;
  readonly mirrors: readonly { readonly name: string; readonly config: MirrorConfig }[];
  readonly repos: readonly string[];
  readonly snapshots: readonly string[];
  readonly publishes: readonly PublishRecord[];
  /** Pool files stored: by hard link, by copy, already there. */
  readonly files: { readonly linked: number; readonly copied: number; readonly present: number };
  readonly warnings: readonly string[];
}

const IMPORT_CONCURRENCY = 4;

/** aptly verifies mirrors against gpg's trustedkeys.gpg unless told otherwise. */
function aptlyDefaultKeyrings(): string[] {
  const file = join(process.env.GNUPGHOME ?? join(homedir(), '.gnupg'), 'trustedkeys.gpg');
  return existsSync(file) ? [file] : [];
}

function exists(kind: 'MIRROR' | 'REPO' | 'SNAPSHOT', name: string): DebstashError {
  const lower = kind.toLowerCase();
  return new DebstashError(`DEBSTASH_E_${kind}_EXISTS`, `aptly's ${lower} "${name}" cannot be imported: debstash has a ${lower} of that name already (nothing was imported)`, { [lower]: name });
}

/**
 * `debstash import aptly`: reads an aptly installation through aptly's CLI and recreates its
 * mirrors (settings; `mirror update` fills them from the pool copied here), local repos and
 * snapshots (their exact packages) in one transaction, after every package file has been
 * copied or linked from aptly's pool and verified by SHA-256; then its publishes. A missing or
 * damaged pool file, or a name debstash already has, imports nothing.
 */
export async function importAptly(ctx: Context, options: ImportAptlyOptions = {}): Promise<ImportAptlyResult> {
  const config = aptlyConfigPath(options.config);
  checkAptlyConfig(config);
  const inst = await readAptlyInstallation(config);
  const warnings: string[] = [];
  for (const m of inst.mirrors) validateName('mirror', m.name);
  for (const r of inst.repos) validateName('repo', r.name);
  for (const s of inst.snapshots) validateName('snapshot', s.name);

  // An aptly snapshot has no components: it gets the one a publish of it shows.
  const componentOf = new Map<string, string>();
  for (const p of inst.publishes) if (p.source.kind === 'snapshot' && p.components.length === 1 && !componentOf.has(p.source.name)) componentOf.set(p.source.name, p.component);

  const entriesOf = (what: string, keys: readonly string[], component: string): PackageEntry[] => {
    const out: PackageEntry[] = [];
    for (const key of keys) {
      const pkg = inst.packages.get(key);
      if (pkg === undefined || pkg.paragraph.get('SHA256') === undefined) {
        warnings.push(`${what}: ${key} is not imported (aptly shows no .deb for it; source packages are not imported)`);
        continue;
      }
      const kind = (pkg.paragraph.get('Filename') ?? '').endsWith('.udeb') ? 'udeb' : 'deb';
      out.push(binaryEntry(pkg.paragraph, component, kind));
    }
    return out;
  };
  const repos = inst.repos.map((r) => ({ r, packages: entriesOf(`repo ${r.name}`, r.packages, r.component) }));
  const snapshots = inst.snapshots.map((s) => ({ s, packages: entriesOf(`snapshot ${s.name}`, s.packages, componentOf.get(s.name) ?? 'main') }));
  const supported = inst.publishes.filter((p) => {
    if (p.unsupported !== undefined) warnings.push(`publish ${p.prefix || '.'}/${p.dist} is not imported: ${p.unsupported}`);
    return p.unsupported === undefined;
  });
  // A publish of several sources, each in its own component, becomes a publish of one
  // snapshot made for it whose packages keep those components.
  const publishes: { readonly p: AptlyPublish; readonly source: PublishRecord['source']; readonly component?: string }[] = [];
  for (const p of supported) {
    if (p.components.length === 1) {
      publishes.push({ p, source: p.source, component: p.component });
      continue;
    }
    const where = `${p.prefix || '.'}/${p.dist}`;
    const name = validateName('snapshot', `aptly-publish-${`${p.prefix ? `${p.prefix}-` : ''}${p.dist}`.replace(/[^A-Za-z0-9._+-]+/g, '-')}`);
    const listOf = (source: string): readonly string[] => (p.source.kind === 'repo' ? inst.repos.find((r) => r.name === source) : inst.snapshots.find((s) => s.name === source))?.packages ?? [];
    const packages = p.components.flatMap((c) => entriesOf(`publish ${where}`, listOf(c.name), c.component));
    const description = `aptly's publish ${where}: ${p.components.map((c) => `${p.source.kind} ${c.name} as ${c.component}`).join(', ')}`;
    snapshots.push({ s: { name, description, createdAt: '', sources: [], packages: [] }, packages });
    publishes.push({ p, source: { kind: 'snapshot', name } });
  }
  // Mirrors' packages are not imported as their contents (aptly does not say which component
  // each came from), but their files are: the first `mirror update` then downloads nothing.
  const mirrorFiles = inst.mirrors.flatMap((m) => entriesOf(`mirror ${m.name}`, m.packages, m.components[0] ?? 'main'));

  const keyrings = options.keyrings !== undefined && options.keyrings.length > 0 ? [...options.keyrings] : aptlyDefaultKeyrings();
  if (inst.mirrors.length > 0 && keyrings.length === 0) warnings.push('no keyring for the mirrors: give --keyring FILE, or their updates will refuse the upstream signature');
  const mirrors: { name: string; config: MirrorConfig }[] = inst.mirrors.map((m) => ({
    name: m.name,
    config: normalizeMirrorConfig(
      { url: m.url, dist: m.dist, components: m.components, architectures: m.architectures, ...(m.filter ? { filter: m.filter } : {}), withDeps: m.withDeps, withSources: m.withSources, withUdebs: m.withUdebs, keyrings },
      { architectures: m.architectures, keyrings },
    ),
  }));

  // The signing key is opened before anything is stored: no import that cannot publish.
  if (publishes.length > 0) await (await import('../keys/open-signer.js')).openSigner(ctx.store, options.passphrase !== undefined ? { passphrase: options.passphrase } : {});

  // Every file is in debstash's pool, verified, before any record names it.
  const files = new Map<string, { path: string; size: number; name: string }>();
  for (const e of [...repos.flatMap((r) => r.packages), ...snapshots.flatMap((s) => s.packages), ...mirrorFiles]) {
    const f = e.files[0];
    const pkg = inst.packages.get(`${e.name}_${e.version}_${e.architecture}`);
    if (f === undefined || pkg === undefined || files.has(f.sha256)) continue;
    const path = pkg.poolFiles.find((p) => p.endsWith('.deb') || p.endsWith('.udeb')) ?? pkg.poolFiles[0];
    if (path === undefined || statSync(path, { throwIfNoEntry: false }) === undefined) {
      throw new DebstashError('DEBSTASH_E_APTLY_POOL_MISSING', `${pkg.key}: its file ${path ?? '(none listed)'} is missing from aptly's pool (nothing was imported)`, { package: pkg.key, ...(path ? { path } : {}) });
    }
    files.set(f.sha256, { path, size: f.size, name: pkg.key });
  }
  const counts = { linked: 0, copied: 0, present: 0 };
  await forEachConcurrent([...files], IMPORT_CONCURRENCY, async ([sha256, f]) => {
    const had = await ctx.pool.has(sha256);
    try {
      const stored = await putLocalFile(ctx.pool, f.path, { sha256, size: f.size }, options.signal);
      if (had) counts.present++;
      else if (stored.linked) counts.linked++;
      else counts.copied++;
    } catch (err) {
      if (isDebstashError(err) && err.code === 'DEBSTASH_E_POOL_HASH_MISMATCH') {
        throw new DebstashError('DEBSTASH_E_APTLY_POOL_CORRUPT', `${f.name}: ${f.path} in aptly's pool is not what aptly's database says: ${err.message} (nothing was imported)`, { package: f.name, path: f.path }, { cause: err });
      }
      throw err;
    }
  });

  const now = new Date().toISOString();
  await ctx.store.transaction(async (tx) => {
    for (const m of mirrors) if ((await tx.getMirror(m.name)) !== undefined) throw exists('MIRROR', m.name);
    for (const { r } of repos) if ((await tx.getRepo(r.name)) !== undefined) throw exists('REPO', r.name);
    for (const { s } of snapshots) if ((await tx.getSnapshot(s.name)) !== undefined) throw exists('SNAPSHOT', s.name);
    for (const { p } of publishes) {
      if ((await tx.getPublish(p.prefix, p.dist)) !== undefined) {
        throw new DebstashError('DEBSTASH_E_PUBLISH_EXISTS', `aptly's publish ${p.prefix || '.'}/${p.dist} cannot be imported: debstash publishes ${p.prefix || '/'} ${p.dist} already (nothing was imported)`, { prefix: p.prefix, dist: p.dist });
      }
    }
    for (const m of mirrors) await tx.createMirror(m.name, m.config, now);
    for (const { r, packages } of repos) {
      await tx.createRepo(r.name, r.comment, now);
      if (packages.length > 0) await tx.addRepoPackages(r.name, packages);
    }
    for (const { s, packages } of snapshots) {
      const origins: SnapshotOrigin[] = s.sources.map((o) => ({ kind: o.kind, name: o.name }));
      await tx.createSnapshot(s.name, `imported from aptly: ${s.description}`, origins, packages, s.createdAt ? new Date(s.createdAt).toISOString() : now);
    }
  });

  const published: PublishRecord[] = [];
  for (const { p, source, component } of publishes) {
    published.push(
      await publish(ctx, source, {
        dist: p.dist,
        prefix: p.prefix,
        ...(component !== undefined ? { component } : {}),
        ...(p.architectures.length > 0 ? { architectures: p.architectures } : {}),
        ...(p.origin ? { origin: p.origin } : {}),
        ...(p.label ? { label: p.label } : {}),
        ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      }),
    );
  }
  return { installation: inst, mirrors, repos: repos.map(({ r }) => r.name), snapshots: snapshots.map(({ s }) => s.name), publishes: published, files: counts, warnings };
}
