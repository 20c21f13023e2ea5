import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { readDeb } from '../deb/deb-reader.js';
import { parseDeb822 } from '../deb/deb822-parse.js';
import { packagesStanza } from '../deb/packages-stanza.js';
import { DebstashError } from '../errors/debstash-error.js';
import { type PackageEntry, packageKey, type RepoRecord } from '../store/records.js';
import type { Context } from './context.js';
import { forEachConcurrent } from './for-each-concurrent.js';
import { packageMatcher } from './package-match.js';
import { validateName } from './validate-name.js';

export async function createRepo(ctx: Context, name: string, comment = ''): Promise<RepoRecord> {
  validateName('repo', name);
  await ctx.store.transaction((tx) => tx.createRepo(name, comment, new Date().toISOString()));
  return requireRepo(ctx, name);
}

export async function requireRepo(ctx: Context, name: string): Promise<RepoRecord> {
  const repo = await ctx.store.getRepo(name);
  if (repo === undefined) throw new DebstashError('DEBSTASH_E_REPO_NOT_FOUND', `no repo named "${name}"`, { repo: name });
  return repo;
}

/** Every .deb/.udeb under the given files and directories (recursively), in a stable order. */
async function packageFiles(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  const walk = async (path: string, explicit: boolean): Promise<void> => {
    const st = await stat(path).catch(() => {
      throw new DebstashError('DEBSTASH_E_USAGE', `${path}: no such file or directory`, { path });
    });
    if (st.isDirectory()) {
      for (const entry of (await readdir(path)).sort()) await walk(join(path, entry), false);
    } else if (explicit || /\.u?deb$/.test(path)) {
      out.push(path);
    }
  };
  for (const p of paths) await walk(p, true);
  return out;
}

const ADD_CONCURRENCY = 8;
/** Smaller files are read once into memory for both parsing and the pool; larger ones are streamed twice. */
const READ_WHOLE_BYTES = 8 * 1024 * 1024;

async function* once(chunk: Uint8Array): AsyncIterable<Uint8Array> {
  yield chunk;
}

/** Reads one .deb for its control data and hashes and stores it in the pool. */
async function storeDeb(ctx: Context, file: string, component: string): Promise<PackageEntry> {
  const { size } = await stat(file);
  const whole = size <= READ_WHOLE_BYTES ? await readFile(file) : undefined;
  const bytes = (): AsyncIterable<Uint8Array> => (whole !== undefined ? once(whole) : createReadStream(file));
  const info = await readDeb(bytes(), { source: file });
  const filename = basename(file);
  const stanza = packagesStanza(info, filename);
  const [control] = parseDeb822(stanza);
  await ctx.pool.put(bytes(), { sha256: info.sha256, size: info.size });
  return {
    kind: file.endsWith('.udeb') ? 'udeb' : 'deb',
    name: control?.get('Package') ?? '',
    version: control?.get('Version') ?? '',
    architecture: control?.get('Architecture') ?? '',
    component,
    stanza,
    files: [{ path: filename, sha256: info.sha256, size: info.size }],
  };
}

export interface AddResult {
  readonly added: readonly PackageEntry[];
  /** Already in the repo with the same bytes: nothing to do. */
  readonly unchanged: readonly PackageEntry[];
  readonly replaced: readonly PackageEntry[];
}

/**
 * `repo add`: reads each .deb once for its control data and hashes, stores it in the pool, then
 * adds everything in one transaction. A different file under an existing name_version_arch is
 * refused (clients' hash checks would break) unless `forceReplace`.
 */
export async function addToRepo(ctx: Context, name: string, paths: readonly string[], options: { forceReplace?: boolean; component?: string } = {}): Promise<AddResult> {
  await requireRepo(ctx, name);
  const component = options.component ?? 'main';
  const files = await packageFiles(paths);
  const entries: PackageEntry[] = new Array(files.length);
  // Several files at once: reading, hashing and the pool's fsync of one overlap with the others'.
  await forEachConcurrent(files.map((file, i) => ({ file, i })), ADD_CONCURRENCY, async ({ file, i }) => {
    entries[i] = await storeDeb(ctx, file, component);
  });
  const existing = await ctx.store.repoPackages(name);
  const byIdentity = new Map(existing.map((p) => [`${p.kind} ${p.name} ${p.version} ${p.architecture}`, p]));
  const keys = new Set(existing.map(packageKey));
  const added: PackageEntry[] = [];
  const unchanged: PackageEntry[] = [];
  const replaced: PackageEntry[] = [];
  for (const e of entries) {
    if (keys.has(packageKey(e))) {
      unchanged.push(e);
      continue;
    }
    const same = byIdentity.get(`${e.kind} ${e.name} ${e.version} ${e.architecture}`);
    if (same !== undefined) {
      if (!options.forceReplace) {
        throw new DebstashError('DEBSTASH_E_PACKAGE_CONFLICT', `${e.name}_${e.version}_${e.architecture} is already in repo "${name}" with other bytes (SHA-256 ${same.files[0]?.sha256})`, {
          package: `${e.name}_${e.version}_${e.architecture}`,
        });
      }
      replaced.push(same);
    }
    added.push(e);
    keys.add(packageKey(e));
  }
  await ctx.store.transaction(async (tx) => {
    if (replaced.length > 0) await tx.removeRepoPackages(name, replaced);
    await tx.addRepoPackages(name, added);
  });
  return { added, unchanged, replaced };
}

/** `repo remove NAME QUERY`: removes the matching packages; returns them. */
export async function removeFromRepo(ctx: Context, name: string, query: string): Promise<PackageEntry[]> {
  const matches = packageMatcher(query);
  const gone = (await ctx.store.repoPackages(name)).filter(matches);
  await ctx.store.transaction((tx) => tx.removeRepoPackages(name, gone));
  return gone;
}

export async function dropRepo(ctx: Context, name: string): Promise<void> {
  await requireRepo(ctx, name);
  const users = (await ctx.store.listPublishes()).filter((p) => p.source.kind === 'repo' && p.source.name === name);
  if (users.length > 0) {
    throw new DebstashError('DEBSTASH_E_IN_USE', `repo "${name}" is published at ${users.map((p) => `${p.prefix || '/'} ${p.dist}`).join(', ')}`, { repo: name });
  }
  await ctx.store.transaction((tx) => tx.dropRepo(name));
}
