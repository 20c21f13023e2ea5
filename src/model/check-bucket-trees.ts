import { createHash } from 'node:crypto';
import { forEachConcurrent } from '../concurrency/for-each-concurrent.js';
import { DebstashError } from '../errors/debstash-error.js';
import type { PublicObject, PublicObjects } from '../pool/bucket-objects.js';
import { EMPTY_STATE, parseState, reconcile, type Generation } from '../publish/publish-state.js';
import type { PublishRecord } from '../store/records.js';
import { type Keyring, keyringOf, parseKeyring } from '../upstream/keyring.js';
import { verifyDetachedRelease, verifyInRelease } from '../upstream/verify-release.js';
import type { Context } from './context.js';
import type { DbProblem } from './db-problem.js';
import { filesOfGenerations, type PublishedFile, publishedHashProblem, publishedSizeProblem } from './published-files.js';

export interface BucketCheckOptions {
  /** Read and hash every listed object (`--deep`), `concurrency` at a time. */
  readonly deep?: boolean;
  readonly concurrency?: number;
  readonly signal?: AbortSignal;
}

export interface BucketCheckResult {
  readonly problems: DbProblem[];
  /** Objects read whole (with `deep`), and their bytes. */
  readonly hashedFiles: number;
  readonly hashedBytes: number;
}

/** Small reads (InRelease, Release.gpg, state.json) at once. */
const REQUESTS = 16;
const DEFAULT_CONCURRENCY = 8;

/** Every object under `under`, by its path under the published trees: one listing, no HEAD per object. */
async function listing(objects: PublicObjects, under: string): Promise<Map<string, PublicObject>> {
  const listed = new Map<string, PublicObject>();
  for await (const o of objects.list(under)) listed.set(o.path, o);
  return listed;
}

/**
 * `db check` with S3 storage: what the bucket serves (BucketTree writes it there), not the data
 * dir's working copy. For each publish in the store: its InRelease exists and verifies with the
 * publish's signing key as apt would judge it, and so does Release.gpg; every file its served
 * generation lists (Release, the plain index names) and the by-hash names of every generation
 * the bucket's state.json keeps exist with the listed sizes; every pool path of the prefix's pool
 * view exists as an object with the view's size. Sizes come from one listing of each prefix's
 * `dists/` and `pool/`. With `deep`, the Release, plain names and by-hash objects are read
 * and hashed (the pool paths are server-side copies of the pool objects, which the deep
 * check of the pool hashes; here they are compared by size). Problems name object keys.
 */
export async function checkBucketTrees(ctx: Context, objects: PublicObjects, options: BucketCheckOptions = {}): Promise<BucketCheckResult> {
  const problems: DbProblem[] = [];
  const missing = (path: string): void => {
    problems.push({ kind: 'published-missing', path: objects.key(path), expected: 'present', found: 'absent' });
  };
  const keyrings = new Map<string, Promise<Keyring | undefined>>();
  const keyringOfPublish = (p: PublishRecord): Promise<Keyring | undefined> => {
    let k = keyrings.get(p.keyFingerprint);
    if (k === undefined) {
      k = ctx.store.getSigningKey(p.keyFingerprint).then(async (r) => (r === undefined ? undefined : keyringOf(await parseKeyring(Buffer.from(r.publicArmored, 'utf8'), `key ${r.fingerprint}`), `key ${r.fingerprint}`)));
      keyrings.set(p.keyFingerprint, k);
    }
    return k;
  };
  /** The signed text when `check` verifies it with the publish's key; else the problem is reported. */
  const verified = async (p: PublishRecord, path: string, check: (keyring: Keyring) => Promise<{ readonly text: string }>): Promise<string | undefined> => {
    const problem = (found: string): undefined => {
      problems.push({ kind: 'published-signature', path: objects.key(path), expected: `signed by ${p.keyFingerprint}`, found });
      return undefined;
    };
    try {
      // A stored key that does not parse is a problem of the check, not a reason to stop it.
      const keyring = await keyringOfPublish(p);
      if (keyring === undefined) return problem('the key is not in the store');
      return (await check(keyring)).text;
    } catch (err) {
      if (err instanceof DebstashError) return problem(err.code);
      throw err;
    }
  };

  const publishes = await ctx.store.listPublishes();
  const files = new Map<string, PublishedFile>();
  const listed = new Map<string, PublicObject>();
  for (const prefix of new Set(publishes.map((p) => p.prefix))) {
    const base = prefix === '' ? '' : `${prefix}/`;
    for (const [path, o] of await listing(objects, `${base}dists/`)) listed.set(path, o);
    const pool = await listing(objects, `${base}pool/`);
    for (const f of await ctx.store.poolView(prefix)) {
      const o = pool.get(`${base}${f.path}`);
      if (o === undefined) missing(`${base}${f.path}`);
      else if (o.size !== f.size) problems.push({ kind: 'published-size', path: objects.key(`${base}${f.path}`), expected: `size:${f.size}`, found: `size:${o.size}` });
    }
  }

  await forEachConcurrent(publishes, REQUESTS, async (p) => {
    const dist = `${p.prefix === '' ? '' : `${p.prefix}/`}dists/${p.dist}`;
    const inRelease = await objects.fetch(`${dist}/InRelease`);
    let served: string | undefined;
    if (inRelease === undefined || inRelease === 'unchanged') missing(`${dist}/InRelease`);
    else served = await verified(p, `${dist}/InRelease`, (keyring) => verifyInRelease(inRelease.body, keyring, { source: objects.key(`${dist}/InRelease`) }));
    // The text InRelease signs is the Release (without its last newline; see signRelease).
    const release = served === undefined ? undefined : `${served}\n`;
    const gpg = await objects.fetch(`${dist}/Release.gpg`);
    if (gpg === undefined || gpg === 'unchanged') missing(`${dist}/Release.gpg`);
    else if (release !== undefined) await verified(p, `${dist}/Release.gpg`, (keyring) => verifyDetachedRelease(Buffer.from(release, 'utf8'), gpg.body, keyring, { source: objects.key(`${dist}/Release`) }));
    // The generations the bucket keeps; without a readable state, what InRelease lists (reconcile).
    const statePath = `${dist}/.debstash/state.json`;
    const state = await objects.fetch(statePath);
    let generations: Generation[];
    if (state === undefined || state === 'unchanged') {
      missing(statePath);
      generations = reconcile(EMPTY_STATE, release).generations;
    } else {
      const read = parseState(state.body.toString('utf8'));
      if (read.damaged) problems.push({ kind: 'unreadable', path: objects.key(statePath), expected: 'publish state', found: 'damaged' });
      generations = reconcile(read.state, release).generations;
    }
    for (const f of filesOfGenerations(dist, generations)) if (!files.has(f.path)) files.set(f.path, f);
  });

  let hashedFiles = 0;
  let hashedBytes = 0;
  const present: PublishedFile[] = [];
  for (const f of [...files.values()].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    const o = listed.get(f.path);
    if (o === undefined) {
      missing(f.path);
    } else if (options.deep === true) {
      present.push(f);
    } else {
      const problem = publishedSizeProblem(f, objects.key(f.path), o.size);
      if (problem !== undefined) problems.push(problem);
    }
  }
  await forEachConcurrent(
    present,
    options.concurrency ?? DEFAULT_CONCURRENCY,
    async (f) => {
      const got = await objects.fetch(f.path);
      // Deleted since the listing (a publish's retention, or damage): absent as in the fast check.
      if (got === undefined || got === 'unchanged') return missing(f.path);
      hashedFiles++;
      hashedBytes += got.body.length;
      const problem = publishedHashProblem(f, objects.key(f.path), { sha256: createHash('sha256').update(got.body).digest('hex'), size: got.body.length });
      if (problem !== undefined) problems.push(problem);
    },
    options.signal,
  );
  return { problems, hashedFiles, hashedBytes };
}
