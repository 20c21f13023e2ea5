import { createHash } from 'node:crypto';
import { link, mkdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { forEachConcurrent } from '../concurrency/for-each-concurrent.js';
import { contentType } from '../deb/tree-content-type.js';
import { DebstashError } from '../errors/debstash-error.js';
import { CACHE_IMMUTABLE, CACHE_SHORT, md5Hex, type PublicObject, type PublicObjects } from '../pool/bucket-objects.js';
import type { Store } from '../store/store.js';
import { byHashPaths } from './by-hash-paths.js';
import { RELEASE_FILES, releaseCopyDir, releaseCopyOwner } from './generation-releases.js';
import type { PublishStep } from './publish-tree.js';
import { readPoolListing, readState, stateDirOf, type Generation } from './publish-state.js';
import { byHashNames } from './retention.js';
import { isErrno, listDir, removeFile } from './tree-files.js';

/** Objects put or copied at once. */
const CONCURRENCY = 16;
/** The files a dist's publisher keeps (state.json and pool listings), under `dists/DIST/`. */
const STATE_DIR = '.debstash/';
const SIGNED = ['Release', 'Release.gpg', 'InRelease'] as const;
const BY_HASH = /^(.*)\/by-hash\/(SHA256|SHA512)\/([0-9a-f]+)$/;

async function readOrUndefined(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ENOTDIR')) return undefined;
    throw err;
  }
}

/** Writes a local file whole or not at all (the local tree is only the publisher's working copy). */
async function writeLocal(path: string, body: Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, body);
  await rename(tmp, path).catch(async (err: unknown) => {
    await unlink(tmp).catch(() => undefined);
    throw err;
  });
}

const sha256Hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/**
 * Publishes one distribution's tree to the bucket (S3 storage), so that every replica serves it
 * and apt or a CDN can read the bucket directly. The tree is still built by publishTree in the
 * data dir, which on a replica is only a working copy: the bucket is the truth.
 *
 * - `hydrate` (before publishTree, under the store's publish locks) makes the working copy of
 *   the prefix what the bucket holds: every dist's publisher state and pool listings, and the
 *   kept generations' by-hash indexes and Release files of this dist (what an incremental
 *   publish reads). A replica with an empty data dir publishes the next generation of a dist
 *   another one published.
 * - `step`, called at publishTree's steps, puts the new generation in this order:
 *   at `written`: its pool listing, then state.json naming it as pending, then its pool paths
 *   (server-side copies of the pool objects, those the previous generation lacked), then its
 *   by-hash objects (immutable), then the signed Release files kept for time travel
 *   (`.debstash/releases/<sha256>/`, immutable); at `committed`: Release, Release.gpg and
 *   InRelease last (a short Cache-Control), then state.json committed; at `linked`: the
 *   plainly named indexes; at `cleaned`: deletes what no kept generation names (by-hash
 *   objects, plain names, pool paths the store's pool view no longer has, pool listings,
 *   kept Release files), then state.json without garbage.
 *
 * A crash at any point leaves the generation the bucket's InRelease names whole: everything it
 * names was there before it was. The next publish reads the bucket's state, where an
 * abandoned pending generation becomes garbage (publish-state.ts: reconcile) and is deleted.
 */
export class BucketTree {
  readonly #objects: PublicObjects;
  readonly #store: Store;
  readonly #prefix: string;
  readonly #dist: string;
  /** `PREFIX/` or '' */
  readonly #prefixPath: string;
  /** `PREFIX/dists/DIST/` */
  readonly #distPath: string;
  readonly #prefixDir: string;
  readonly #distDir: string;
  /** What the bucket holds under the prefix's `dists/`, by path, as listed and then as put. */
  readonly #bucket = new Map<string, PublicObject>();
  /** Pool paths of the generations a publish drops: deleted when the pool view no longer has them. */
  #candidates = new Set<string>();

  constructor(options: { readonly objects: PublicObjects; readonly store: Store; readonly root: string; readonly prefix: string; readonly dist: string }) {
    this.#objects = options.objects;
    this.#store = options.store;
    this.#prefix = options.prefix;
    this.#dist = options.dist;
    this.#prefixPath = options.prefix === '' ? '' : `${options.prefix}/`;
    this.#distPath = `${this.#prefixPath}dists/${options.dist}/`;
    this.#prefixDir = join(options.root, options.prefix);
    this.#distDir = join(this.#prefixDir, 'dists', options.dist);
  }

  /** Makes the working copy of the prefix what the bucket holds (see the class). */
  async hydrate(): Promise<void> {
    this.#bucket.clear();
    for await (const o of this.#objects.list(`${this.#prefixPath}dists/`)) this.#bucket.set(o.path, o);
    const published = new Set<string>();
    for (const path of this.#bucket.keys()) {
      const m = /^dists\/([^/]+)\/\.debstash\/state\.json$/.exec(path.slice(this.#prefixPath.length));
      if (m?.[1] !== undefined) published.add(m[1]);
    }
    // A dist this copy has and the bucket has not was dropped (or never published) elsewhere.
    for (const dist of await listDir(join(this.#prefixDir, 'dists'))) {
      if (!published.has(dist)) await rm(join(this.#prefixDir, 'dists', dist), { recursive: true, force: true });
    }
    // A working copy whose state is the bucket's already (this replica made or read the last
    // publish) has its files: they are not hashed again.
    const current = await this.#stateIsCurrent();
    for (const dist of published) await this.#hydrateState(dist);
    if (published.has(this.#dist) && !current) await this.#hydrateTree();
  }

  async #stateIsCurrent(): Promise<boolean> {
    const o = this.#bucket.get(`${this.#distPath}${STATE_DIR}state.json`);
    const local = await readOrUndefined(join(stateDirOf(this.#distDir), 'state.json'));
    const inRelease = this.#bucket.get(`${this.#distPath}InRelease`);
    const localInRelease = await readOrUndefined(join(this.#distDir, 'InRelease'));
    return o !== undefined && local !== undefined && md5Hex(local) === o.etag && inRelease !== undefined && localInRelease !== undefined && md5Hex(localInRelease) === inRelease.etag;
  }

  /** state.json and the pool listings of `dist`, as in the bucket. */
  async #hydrateState(dist: string): Promise<void> {
    const base = `${this.#prefixPath}dists/${dist}/${STATE_DIR}`;
    const localDir = stateDirOf(join(this.#prefixDir, 'dists', dist));
    const names = new Set<string>();
    await forEachConcurrent(
      [...this.#bucket.values()].filter((o) => o.path.startsWith(base) && !o.path.slice(base.length).includes('/')),
      CONCURRENCY,
      async (o) => {
        const name = o.path.slice(base.length);
        names.add(name);
        const local = join(localDir, name);
        const have = await readOrUndefined(local);
        if (have !== undefined && md5Hex(have) === o.etag) return;
        await writeLocal(local, await this.#download(o.path));
      },
    );
    for (const name of await listDir(localDir)) {
      if (!names.has(name)) await removeFile(join(localDir, name)).catch(() => undefined);
    }
  }

  /** The kept generations' by-hash indexes and the Release files of this dist. */
  async #hydrateTree(): Promise<void> {
    const { state } = await readState(this.#distDir);
    const wanted = new Map<string, string>();
    for (const g of state.generations) {
      for (const [path, digest] of Object.entries(g.files)) {
        const key = `${this.#distPath}${path.slice(0, path.lastIndexOf('/'))}/by-hash/SHA256/${digest.sha256}`;
        if (this.#bucket.has(key)) wanted.set(key, byHashPaths(this.#distDir, path, digest).sha256);
      }
    }
    await forEachConcurrent([...wanted], CONCURRENCY, async ([key, local]) => {
      const have = await readOrUndefined(local);
      if (have !== undefined && sha256Hex(have) === key.slice(key.lastIndexOf('/') + 1)) return;
      await writeLocal(local, await this.#download(key, key.slice(key.lastIndexOf('/') + 1)));
    });
    // The other names of the served generation's files, as a publish on disk leaves them
    // (what `publish export` copies).
    const served = state.generations.at(-1);
    for (const [path, digest] of Object.entries(served?.files ?? {})) {
      const names = byHashPaths(this.#distDir, path, digest);
      if ((await readOrUndefined(names.sha256)) === undefined) continue;
      for (const other of [names.sha512, join(this.#distDir, path)]) {
        await removeFile(other);
        await mkdir(dirname(other), { recursive: true });
        await link(names.sha256, other);
      }
    }
    for (const name of SIGNED) {
      const o = this.#bucket.get(`${this.#distPath}${name}`);
      const local = join(this.#distDir, name);
      if (o === undefined) await removeFile(local);
      else if (md5Hex((await readOrUndefined(local)) ?? Buffer.alloc(0)) !== o.etag) await writeLocal(local, await this.#download(o.path));
    }
  }

  async #download(path: string, sha256?: string): Promise<Buffer> {
    const got = await this.#objects.fetch(path);
    if (got === undefined || got === 'unchanged') {
      throw new DebstashError('DEBSTASH_E_PUBLISH_BUCKET_CHANGED', `${path} went missing from the bucket while it was read; publish again`, { path });
    }
    const want = sha256 ?? got.sha256;
    if (want !== undefined && sha256Hex(got.body) !== want) {
      throw new DebstashError('DEBSTASH_E_STORAGE_INTEGRITY', `${path} in the bucket does not have the SHA-256 ${want}`, { path, sha256: want });
    }
    return got.body;
  }

  /** What to put in the bucket at a step of publishTree (see the class). */
  async step(step: PublishStep): Promise<void> {
    if (step === 'placing') await this.#putPending();
    else if (step === 'written') await this.#putGeneration().then(() => this.#putReleaseCopies());
    else if (step === 'committed') await this.#switch();
    else if (step === 'linked') await this.#putPlainNames();
    else if (step === 'cleaned') await this.#clean();
  }

  async #putLocal(path: string, local: string, cacheControl: string, sha256?: string): Promise<void> {
    const body = await readFile(local);
    const etag = md5Hex(body);
    if (this.#bucket.get(path)?.etag === etag) return;
    const sum = sha256Hex(body);
    if (sha256 !== undefined && sum !== sha256) {
      throw new DebstashError('DEBSTASH_E_PUBLISH_BUCKET_CHANGED', `${local} does not have the SHA-256 ${sha256} the publish wrote`, { path: local });
    }
    await this.#objects.put(path, body, { cacheControl, contentType: contentType(path), sha256: sum });
    this.#bucket.set(path, { path, etag, size: body.length });
  }

  async #putState(): Promise<void> {
    await this.#putLocal(`${this.#distPath}${STATE_DIR}state.json`, join(stateDirOf(this.#distDir), 'state.json'), 'no-cache');
  }

  /**
   * The pending generation (its pool listing first) into the bucket's state.json: at `placing`,
   * before its pool paths enter the store's pool view, so that whichever replica publishes
   * next finds them named by an abandoned generation and takes them back; again at `written`,
   * complete.
   */
  async #putPending(): Promise<Generation> {
    const { state } = await readState(this.#distDir);
    const pending = state.pending;
    if (pending === null) throw new Error('internal: a publish placing files has no pending generation');
    if (pending.pool !== null) await this.#putLocal(`${this.#distPath}${STATE_DIR}${pending.pool}`, join(stateDirOf(this.#distDir), pending.pool), 'no-cache');
    await this.#putState();
    return pending;
  }

  async #putGeneration(): Promise<void> {
    const pending = await this.#putPending();
    const { state } = await readState(this.#distDir);

    const previous = state.generations.at(-1);
    const before = previous?.pool == null || previous.view !== true ? undefined : await readPoolListing(this.#distDir, previous.pool);
    const now = pending.pool === null ? undefined : await readPoolListing(this.#distDir, pending.pool);
    if (now === undefined) throw new Error('internal: the pending generation has no pool listing');
    const copies = [...now].filter(([path, f]) => before?.get(path)?.sha256 !== f.sha256);
    const absent: { path: string; sha256: string }[] = [];
    await forEachConcurrent(copies, CONCURRENCY, async ([path, f]) => {
      if (!(await this.#objects.copyFromPool(f.sha256, `${this.#prefixPath}${path}`, { cacheControl: CACHE_IMMUTABLE, contentType: contentType(path) }))) absent.push({ path, sha256: f.sha256 });
    });
    if (absent.length > 0) {
      // Files of on-demand mirrors not fetched yet have no pool object to copy: replicas fetch
      // them at the first request (pool view); a client reading the bucket directly gets a 404.
      const deferred = await this.#store.deferredFiles();
      const lost = absent.find((f) => !deferred.has(f.sha256));
      if (lost !== undefined) throw new DebstashError('DEBSTASH_E_POOL_NOT_FOUND', `no file ${lost.sha256} in the pool (wanted for ${lost.path})`, { sha256: lost.sha256 });
    }

    await forEachConcurrent(Object.entries(pending.files), CONCURRENCY, async ([path, digest]) => {
      const dir = `${this.#distPath}${path.slice(0, path.lastIndexOf('/'))}/by-hash`;
      const key256 = `${dir}/SHA256/${digest.sha256}`;
      if (!this.#bucket.has(key256)) await this.#putLocal(key256, byHashPaths(this.#distDir, path, digest).sha256, CACHE_IMMUTABLE, digest.sha256);
      const key512 = `${dir}/SHA512/${digest.sha512}`;
      if (digest.sha512 !== '' && !this.#bucket.has(key512)) {
        await this.#objects.copy(key256, key512, digest.sha256, { cacheControl: CACHE_IMMUTABLE, contentType: 'application/octet-stream' });
        this.#bucket.set(key512, { path: key512, etag: this.#bucket.get(key256)?.etag ?? '', size: digest.size });
      }
    });
  }

  /**
   * The signed Release files of the new generation (generation-releases.ts), and of any kept
   * one the bucket lacks that the working copy has: what `/snapshots/ID/` serves on every
   * replica. Named by content, so immutable; in the bucket before InRelease names them.
   */
  async #putReleaseCopies(): Promise<void> {
    const { state } = await readState(this.#distDir);
    const generations = state.pending === null ? state.generations : [...state.generations, state.pending];
    const copies = generations.flatMap((g) => RELEASE_FILES.map((name) => `${releaseCopyDir(g.releaseSha256)}/${name}`));
    await forEachConcurrent(copies, CONCURRENCY, async (rel) => {
      const key = `${this.#distPath}${rel}`;
      const local = join(this.#distDir, rel);
      if (!this.#bucket.has(key) && (await readOrUndefined(local)) !== undefined) await this.#putLocal(key, local, CACHE_IMMUTABLE);
    });
  }

  async #switch(): Promise<void> {
    const { state } = await readState(this.#distDir);
    this.#candidates = new Set<string>();
    for (const g of state.garbage) {
      if (g.pool === null) continue;
      for (const path of (await readPoolListing(this.#distDir, g.pool))?.keys() ?? []) this.#candidates.add(path);
    }
    // InRelease last: apt starts from it, and everything it names is in the bucket by now.
    for (const name of SIGNED) {
      const local = join(this.#distDir, name);
      if ((await readOrUndefined(local)) !== undefined) await this.#putLocal(`${this.#distPath}${name}`, local, CACHE_SHORT);
    }
    await this.#putState();
  }

  async #putPlainNames(): Promise<void> {
    const current = (await readState(this.#distDir)).state.generations.at(-1);
    if (current === undefined) return;
    await forEachConcurrent(Object.entries(current.files), CONCURRENCY, async ([path, digest]) => {
      const local = byHashPaths(this.#distDir, path, digest).sha256;
      if ((await readOrUndefined(local)) === undefined) return;
      await this.#putLocal(`${this.#distPath}${path}`, local, CACHE_SHORT, digest.sha256);
    });
  }

  async #clean(): Promise<void> {
    const { state } = await readState(this.#distDir);
    const kept = state.generations;
    const names = byHashNames(kept);
    const current = new Set(Object.keys(kept.at(-1)?.files ?? {}));
    const listings = new Set(kept.flatMap((g) => (g.pool === null ? [] : [g.pool])));
    const releases = new Set(kept.map((g) => g.releaseSha256));
    const doomed: string[] = [];
    for (const path of this.#bucket.keys()) {
      if (!path.startsWith(this.#distPath)) continue;
      const rel = path.slice(this.#distPath.length);
      if ((SIGNED as readonly string[]).includes(rel)) continue;
      const copyOf = releaseCopyOwner(rel);
      if (copyOf !== undefined) {
        if (!releases.has(copyOf)) doomed.push(path);
        continue;
      }
      if (rel.startsWith(STATE_DIR)) {
        const name = rel.slice(STATE_DIR.length);
        if (name.startsWith('pool-') && !listings.has(name)) doomed.push(path);
        continue;
      }
      const m = BY_HASH.exec(rel);
      if (m !== null) {
        if (!(names.get(m[1] ?? '')?.has(`${m[2] ?? ''}/${m[3] ?? ''}`) ?? false)) doomed.push(path);
      } else if (!current.has(rel)) {
        doomed.push(path);
      }
    }
    if (this.#candidates.size > 0) {
      const view = new Set((await this.#store.poolView(this.#prefix)).map((f) => f.path));
      for (const path of this.#candidates) if (!view.has(path)) doomed.push(`${this.#prefixPath}${path}`);
    }
    await forEachConcurrent(doomed, CONCURRENCY, async (path) => {
      await this.#objects.delete(path);
      this.#bucket.delete(path);
    });
    await this.#putState();
  }

  /**
   * After unpublishTree removed the dist from the working copy and the pool view: Release
   * files first (clients stop seeing the dist), then everything else under `dists/DIST/`,
   * then the prefix's pool paths the pool view no longer has.
   */
  async unpublish(): Promise<void> {
    for (const name of [...SIGNED].reverse()) await this.#objects.delete(`${this.#distPath}${name}`);
    const rest = [...this.#bucket.keys()].filter((p) => p.startsWith(this.#distPath));
    await forEachConcurrent(rest, CONCURRENCY, (path) => this.#objects.delete(path));
    const view = new Set((await this.#store.poolView(this.#prefix)).map((f) => f.path));
    const stale: string[] = [];
    for await (const o of this.#objects.list(`${this.#prefixPath}pool/`)) {
      if (!view.has(o.path.slice(this.#prefixPath.length))) stale.push(o.path);
    }
    await forEachConcurrent(stale, CONCURRENCY, (path) => this.#objects.delete(path));
  }
}

