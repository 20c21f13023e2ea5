/**
 * Shared set-up of the publishing tests: real .debs (dpkg-deb) and a real source package
 * (dpkg-source, dpkg-scansources) in a content-addressed pool, as PackageEntry records; a
 * throwaway signing key; and helpers to serve a published tree and point a real apt at it.
 */
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { readDeb } from '../../src/deb/deb-reader.js';
import { parseDeb822 } from '../../src/deb/deb822-parse.js';
import { serializeParagraph } from '../../src/deb/deb822-serialize.js';
import { packagesStanza } from '../../src/deb/packages-stanza.js';
import { FsPool } from '../../src/pool/fs-pool.js';
import type { Pool } from '../../src/pool/pool.js';
import type { PackageEntry, PackageFile } from '../../src/store/records.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { StoreReader } from '../../src/store/store.js';
import { buildDeb, type DebSpec } from '../helpers/build-deb.js';
import { buildSource, type SourceSpec } from '../helpers/build-source.js';
import { makeTestSigner, type TestSigner } from '../helpers/test-signer.js';
import { poolLetter } from '../../src/publish/pool-layout.js';

const run = promisify(execFile);

export interface PublishFixture {
  readonly dir: string;
  /** Where trees are published (the data dir's public/). */
  readonly root: string;
  readonly pool: FsPool;
  /** The store publishes keep their pool view in (publishTree's `store`). */
  readonly store: SqliteStore;
  /** Its file, for a child process that publishes into the same store. */
  readonly storeFile: string;
  readonly signer: TestSigner;
  /** The pool file `path` (`pool/...`) of `prefix` is published as, through the pool view. */
  published(prefix: string, path: string): Promise<{ sha256: string; size: number } | undefined>;
  /** Builds a .deb, stores it in the pool and returns its record (as a mirror would have it). */
  deb(spec: DebSpec, component?: string): Promise<PackageEntry>;
  /** Builds a source package, stores its files and returns its record. */
  source(spec: SourceSpec, component?: string): Promise<PackageEntry>;
  close(): Promise<void>;
}

export async function publishFixture(): Promise<PublishFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'debstash-publish-'));
  const pool = await FsPool.open(join(dir, 'pool-store'));
  const signer = await makeTestSigner(join(dir, 'keys'));
  const storeFile = join(dir, 'debstash.sqlite');
  const store = SqliteStore.open(storeFile);
  let n = 0;
  return {
    dir,
    root: join(dir, 'public'),
    pool,
    store,
    storeFile,
    signer,
    async published(prefix, path) {
      const file = await store.poolViewFile(prefix, path);
      return file === undefined ? undefined : { sha256: file.sha256, size: file.size };
    },
    async deb(spec, component = 'main') {
      const path = await buildDeb(join(dir, 'debs', String(++n)), spec, { compression: 'gzip' });
      const info = await readDeb(createReadStream(path));
      await pool.put(createReadStream(path), { sha256: info.sha256, size: info.size });
      // The upstream's own layout, which publishing rewrites.
      const filename = `pool/upstream/${poolLetter(spec.name)}/${spec.name}/${basename(path)}`;
      return {
        kind: 'deb',
        name: spec.name,
        version: spec.version,
        architecture: spec.architecture,
        component,
        stanza: packagesStanza(info, filename),
        files: [{ path: filename, sha256: info.sha256, size: info.size }],
      };
    },
    async source(spec, component = 'main') {
      const out = join(dir, 'sources', String(++n));
      const dsc = await buildSource(out, spec);
      const { stdout } = await run('dpkg-scansources', [dirname(dsc)], { cwd: out });
      const p = parseDeb822(stdout)[0];
      const files: PackageFile[] = [];
      for (const line of (p.get('Checksums-Sha256') ?? '').split('\n')) {
        const parts = line.trim().split(/\s+/);
        if (parts.length !== 3) continue;
        const [sha256, size, name] = parts as [string, string, string];
        await pool.put(createReadStream(join(out, name)), { sha256, size: Number(size) });
        files.push({ path: `pool/upstream/${spec.name}/${name}`, sha256, size: Number(size) });
      }
      files.sort((a, b) => Number(b.path.endsWith('.dsc')) - Number(a.path.endsWith('.dsc')));
      const stanza = serializeParagraph(p.with('Directory', `pool/upstream/${spec.name}`));
      return { kind: 'source', name: spec.name, version: spec.version, architecture: 'source', component, stanza, files };
    },
    async close() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A deb822 .sources entry for the published tree at `url` (ending with '/'). */
export function sourcesEntry(url: string, dist: string, components: readonly string[], keyring: string, types = 'deb'): string {
  return `Types: ${types}\nURIs: ${url}\nSuites: ${dist}\nComponents: ${components.join(' ')}\nArchitectures: amd64\nSigned-By: ${keyring}\n`;
}

/** apt-get's result without throwing: exit status and output. */
export async function tryApt(apt: { aptGet(...args: string[]): Promise<{ stdout: string; stderr: string }> }, ...args: string[]): Promise<{ ok: boolean; out: string }> {
  try {
    const { stdout, stderr } = await apt.aptGet(...args);
    // apt-get update exits 0 after some failures, with "W:"/"E:" lines; count them as failures.
    const bad = /^(W|E|Err):/m.test(stderr) || /^Err:/m.test(stdout);
    return { ok: !bad, out: stdout + stderr };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    return { ok: false, out: `${e.stdout ?? ''}${e.stderr ?? ''}${e.message}` };
  }
}

/** Every file under `dir`, relative to it (sorted). */
export async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, rel: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      if (e.isDirectory()) await walk(join(d, e.name), rel === '' ? e.name : `${rel}/${e.name}`);
      else out.push(rel === '' ? e.name : `${rel}/${e.name}`);
    }
  };
  await walk(dir, '');
  return out.sort();
}

/**
 * For FaultServer's `locate`: the pool file a published `/PREFIX/pool/...` URL path leads to
 * through the pool view (the first of `pools` that has it), as debstash's server resolves it;
 * null (a 404) for a pool path the view does not have; undefined for other paths (served from
 * the tree on disk).
 */
export function viewLocator(store: StoreReader, pools: readonly Pool[]): (path: string) => Promise<string | null | undefined> {
  return async (path) => {
    const segments = path.split('/').filter((s) => s !== '');
    const at = segments.indexOf('pool');
    if (at < 0) return undefined;
    const file = await store.poolViewFile(segments.slice(0, at).join('/'), segments.slice(at).join('/'));
    for (const pool of file === undefined ? [] : pools) {
      const local = pool.localPath(file?.sha256 ?? '');
      if (local !== undefined && (await stat(local).then(() => true, () => false))) return local;
    }
    // A pool path the view does not have, or whose file is gone: a 404.
    return null;
  };
}
