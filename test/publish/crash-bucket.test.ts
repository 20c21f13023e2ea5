import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PutBucketAclCommand } from '@aws-sdk/client-s3';
import { forEachConcurrent } from '../../src/concurrency/for-each-concurrent.js';
import { splitClearsigned } from '../../src/deb/clearsigned.js';
import { parseRelease } from '../../src/deb/release.js';
import type { PublicObjects } from '../../src/pool/bucket-objects.js';
import { S3Pool } from '../../src/pool/s3-pool.js';
import { BucketTree } from '../../src/publish/bucket-tree.js';
import { releaseCopyDir } from '../../src/publish/generation-releases.js';
import { publishTree, type PublishTreeOptions } from '../../src/publish/publish-tree.js';
import type { PublishState } from '../../src/publish/publish-state.js';
import type { PackageEntry } from '../../src/store/records.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { gpgv } from '../helpers/gpg-home.js';
import { IsolatedApt } from '../helpers/isolated-apt.js';
import { SWIFT_CREDENTIALS, SwiftS3Server } from '../helpers/swift-s3-server.js';
import { makeTestSigner, type TestSigner } from '../helpers/test-signer.js';
import { sourcesEntry } from './publish-fixture.js';
import { entryOf, syntheticPackage } from './synthetic-repo.js';

const DIST_ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const swiftMissing = SwiftS3Server.missing();
const BUCKET = 'trees';
const PREFIX = 'p';
const DIST = 'crash';

/**
 * Where the child stops for a minute (to be killed there): once its indexes are built (its new
 * pool paths are in the store's pool view, nothing of them in the bucket yet), then before the
 * first object of a kind is put, copied or deleted. In the order a publish makes them.
 */
const POINTS = ['built', 'pool-copy', 'by-hash', 'release-copies', 'Release', 'InRelease', 'state', 'plain', 'delete'] as const;
type Point = (typeof POINTS)[number];
/** Killed at these, the bucket's InRelease is still the old one. */
const BEFORE_SWITCH = new Set<Point>(['built', 'pool-copy', 'by-hash', 'release-copies', 'Release', 'InRelease']);

/**
 * The child: a replica publishing with its own working copy, as publish-ops does (hydrate, then
 * publishTree with the bucket's steps), its bucket calls watched: it says "at POINT" and waits
 * before the call of `spec.pauseAt` (or after the publish step of that name).
 */
const CHILD = `
import { readFile } from 'node:fs/promises';
const dist = process.argv[2];
const { publishTree } = await import(dist + '/src/publish/publish-tree.js');
const { BucketTree } = await import(dist + '/src/publish/bucket-tree.js');
const { S3Pool } = await import(dist + '/src/pool/s3-pool.js');
const { SqliteStore } = await import(dist + '/src/store/sqlite/sqlite-store.js');
const { signerFromKeyFile } = await import(dist + '/test/helpers/test-signer.js');
const spec = JSON.parse(await readFile(process.argv[1], 'utf8'));
const say = (s) => process.stdout.write(s + '\\n');
const pool = await S3Pool.open(spec.loc, spec.credentials);
const store = SqliteStore.open(spec.store);
const objects = pool.publicObjects();
let switched = false;
const pointOf = (call, path) => {
  if (call === 'copyFromPool') return 'pool-copy';
  if (call === 'delete') return 'delete';
  if (call !== 'put') return undefined;
  if (path.includes('/by-hash/')) return 'by-hash';
  if (path.includes('/.debstash/releases/')) return 'release-copies';
  if (path.endsWith('/Release')) return 'Release';
  if (path.endsWith('/InRelease')) return 'InRelease';
  if (path.endsWith('/state.json')) return switched ? 'state' : undefined;
  if (!path.includes('/.debstash/') && !path.endsWith('/Release.gpg')) return 'plain';
  return undefined;
};
for (const call of ['put', 'copyFromPool', 'delete']) {
  const inner = objects[call].bind(objects);
  objects[call] = async (...args) => {
    const path = call === 'copyFromPool' ? args[1] : args[0];
    if (pointOf(call, path) === spec.pauseAt) {
      say('at ' + spec.pauseAt);
      await new Promise((r) => setTimeout(r, 60000));
    }
    const out = await inner(...args);
    if (call === 'put' && path.endsWith('/InRelease') && !path.includes('/.debstash/')) switched = true;
    return out;
  };
}
const bucket = new BucketTree({ objects, store, root: spec.root, prefix: spec.prefix, dist: spec.dist });
await bucket.hydrate();
say('start');
await publishTree({ ...spec.options, root: spec.root, signer: await signerFromKeyFile(spec.key), pool, store, onStep: async (s) => {
  await bucket.step(s);
  if (s === spec.pauseAt) {
    say('at ' + s);
    await new Promise((r) => setTimeout(r, 60000));
  }
} });
say('done');
process.exit(0);
`;

let swift: SwiftS3Server;
let dir: string;
let signer: TestSigner;
before(async () => {
  if (swiftMissing !== undefined) return;
  dir = await mkdtemp(join(tmpdir(), 'debstash-bucket-crash-'));
  [swift, signer] = await Promise.all([SwiftS3Server.start(), makeTestSigner(join(dir, 'key'))]);
  await swift.createBucket(BUCKET);
  // Readable without credentials through Swift's own API (public-read is Swift's `.r:*`).
  const client = swift.client(6);
  await client.send(new PutBucketAclCommand({ Bucket: BUCKET, ACL: 'public-read' }));
  client.destroy();
}, { timeout: 120_000 });
after(async () => {
  await swift?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** A case of its own: its own key prefix in the bucket (its pool and trees) and its own store. */
interface Case {
  readonly name: string;
  readonly pool: S3Pool;
  readonly objects: PublicObjects;
  readonly store: SqliteStore;
  readonly storeFile: string;
  readonly loc: { bucket: string; prefix: string; endpoint: string; region: string; forcePathStyle: boolean };
}

async function openCase(name: string): Promise<Case> {
  const loc = { bucket: BUCKET, prefix: `${name}/`, endpoint: swift.endpoint, region: 'us-east-1', forcePathStyle: true };
  const pool = await S3Pool.open(loc, SWIFT_CREDENTIALS);
  const storeFile = join(dir, `${name}.db`);
  return { name, pool, objects: pool.publicObjects(), store: SqliteStore.open(storeFile), storeFile, loc };
}

/** Synthetic packages `from..to`, put in the case's pool. */
async function packages(c: Case, from: number, to: number): Promise<PackageEntry[]> {
  const all = Array.from({ length: to - from }, (_, i) => syntheticPackage(from + i, 5));
  await forEachConcurrent(all, 8, async (p) => {
    await c.pool.put(Readable.from([p.content]), { sha256: p.sha256, size: p.content.length });
  });
  return all.map((p) => entryOf(p));
}

const options = (set: readonly PackageEntry[]): Omit<PublishTreeOptions, 'root' | 'signer' | 'pool' | 'store'> => ({
  prefix: PREFIX,
  dist: DIST,
  components: [{ name: 'main', packages: set }],
  architectures: ['amd64'],
  meta: { origin: 'Bucket' },
  // Each publish drops the one before: every publish deletes, so the crash points include deletes.
  keepGenerations: 1,
});

/** A replica with an empty working copy publishing `set`, as publish-ops does. */
async function publishFromEmpty(c: Case, set: readonly PackageEntry[]): Promise<void> {
  const root = await mkdtemp(join(dir, `${c.name}-replica-`));
  const bucket = new BucketTree({ objects: c.objects, store: c.store, root, prefix: PREFIX, dist: DIST });
  await bucket.hydrate();
  await publishTree({ ...options(set), root, signer, pool: c.pool, store: c.store, onStep: (s) => bucket.step(s) });
}

async function bucketFile(c: Case, path: string): Promise<Buffer> {
  const got = await c.objects.fetch(path);
  assert.ok(got !== undefined && got !== 'unchanged', `${path} is in the bucket`);
  return got.body;
}

const sha = (algorithm: string, b: Buffer): string => createHash(algorithm).update(b).digest('hex');

/**
 * What the bucket serves at PREFIX/dists/DIST is whole: InRelease verifies, every file it lists
 * is there by hash (SHA256 and SHA512), and every package file its Packages names is at its
 * pool path with its SHA-256. Returns InRelease.
 */
async function checkServed(c: Case): Promise<Buffer> {
  const base = `${PREFIX}/dists/${DIST}/`;
  const inRelease = await bucketFile(c, `${base}InRelease`);
  const file = join(dir, `${c.name}-InRelease-${Math.random().toString(36).slice(2)}`);
  await writeFile(file, inRelease);
  assert.ok((await gpgv(signer.keyring, file)).ok, 'InRelease verifies');
  const release = parseRelease(Buffer.from(splitClearsigned(inRelease).signed).toString('utf8'));
  for (const e of release.sha256.values()) {
    const byHash = `${base}${e.path.slice(0, e.path.lastIndexOf('/'))}/by-hash`;
    assert.equal(sha('sha256', await bucketFile(c, `${byHash}/SHA256/${e.sha256}`)), e.sha256, e.path);
    const s512 = release.sha512?.get(e.path)?.sha512 ?? '';
    assert.equal(sha('sha512', await bucketFile(c, `${byHash}/SHA512/${s512}`)), s512, e.path);
  }
  const packagesSha = release.sha256.get('main/binary-amd64/Packages')?.sha256 ?? '';
  const index = (await bucketFile(c, `${base}main/binary-amd64/by-hash/SHA256/${packagesSha}`)).toString('utf8');
  const files = [...index.matchAll(/^Filename: (.*)\n(?:.*\n)*?SHA256: ([0-9a-f]{64})$/gm)];
  assert.ok(files.length > 0, 'Packages names files');
  for (const m of files) assert.equal(sha('sha256', await bucketFile(c, `${PREFIX}/${m[1] ?? ''}`)), m[2], m[1]);
  return inRelease;
}

/**
 * Nothing left over: by-hash objects and signed Release copies only of kept generations (each
 * with its copies), pool paths only those of the pool view, no pending or garbage.
 */
async function checkClean(c: Case): Promise<void> {
  const base = `${PREFIX}/dists/${DIST}/`;
  const state = JSON.parse((await bucketFile(c, `${base}.debstash/state.json`)).toString('utf8')) as PublishState;
  assert.equal(state.pending, null);
  assert.deepEqual(state.garbage, []);
  const named = new Set(state.generations.flatMap((g) => Object.entries(g.files).flatMap(([path, d]) => {
    const byHash = `${base}${path.slice(0, path.lastIndexOf('/'))}/by-hash`;
    return [`${byHash}/SHA256/${d.sha256}`, `${byHash}/SHA512/${d.sha512}`];
  })));
  for await (const o of c.objects.list(base)) if (o.path.includes('/by-hash/')) assert.ok(named.has(o.path), `${o.path} is named by a kept generation`);
  const copies: string[] = [];
  for await (const o of c.objects.list(`${base}.debstash/releases/`)) copies.push(o.path);
  const kept = state.generations.flatMap((g) => ['InRelease', 'Release', 'Release.gpg'].map((n) => `${base}${releaseCopyDir(g.releaseSha256)}/${n}`));
  assert.deepEqual(copies.sort(), kept.sort(), 'the Release copies in the bucket are those of the kept generations');
  const view = new Set((await c.store.poolView(PREFIX)).map((f) => `${PREFIX}/${f.path}`));
  const objects = new Set<string>();
  for await (const o of c.objects.list(`${PREFIX}/pool/`)) objects.add(o.path);
  assert.deepEqual([...objects].sort(), [...view].sort(), 'the pool paths in the bucket are the pool view');
}

/** Runs the child publishing `set` from an empty working copy and kills it with SIGKILL at `point`. */
async function publishAndKill(c: Case, set: readonly PackageEntry[], point: Point): Promise<void> {
  const specFile = join(dir, `${c.name}-spec.json`);
  const root = await mkdtemp(join(dir, `${c.name}-child-`));
  await writeFile(specFile, JSON.stringify({ loc: c.loc, credentials: SWIFT_CREDENTIALS, store: c.storeFile, key: signer.secretKeyFile, root, prefix: PREFIX, dist: DIST, options: options(set), pauseAt: point }));
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, specFile, DIST_ROOT], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes(`at ${point}\n`) && !child.killed) child.kill('SIGKILL');
  });
  const code = await exited;
  assert.ok(out.includes(`at ${point}\n`), `the child got to ${point} (exit ${code}): ${out} ${err}`);
}

test('kill -9 at every step of a publish to the bucket: the InRelease served stays whole, and a replica with an empty data dir publishes on and cleans up', { skip: swiftMissing ?? false, timeout: 240_000 }, async (t) => {
  await forEachConcurrent(POINTS, 3, async (point) => {
    const started = performance.now();
    const c = await openCase(`c-${point.toLowerCase()}`);
    try {
      const first = await packages(c, 0, 6);
      const second = [...first.slice(1), ...(await packages(c, 100, 102))];
      await publishFromEmpty(c, first);
      const before = await checkServed(c);
      await checkClean(c);

      await publishAndKill(c, second, point);
      const after = await checkServed(c);
      assert.equal(after.equals(before), BEFORE_SWITCH.has(point), `killed at ${point}: InRelease ${BEFORE_SWITCH.has(point) ? 'is still the old one' : 'is the new one'}`);

      if (point === 'by-hash') {
        // apt reads the bucket straight from the endpoint (no credentials: the bucket is public-read).
        const url = `${swift.endpoint}/v1/AUTH_test/${BUCKET}/${c.name}/public/${PREFIX}/`;
        const apt = await IsolatedApt.create(sourcesEntry(url, DIST, ['main'], signer.keyring));
        try {
          await apt.aptGet('update');
          const name = first[1]?.name ?? '';
          const { stdout } = await apt.aptGet('download', '--print-uris', name);
          assert.match(stdout, new RegExp(`/public/${PREFIX}/pool/`), stdout);
        } finally {
          await apt.close();
        }
      }

      // After a kill at `built`, a publish without the new packages: their pool-view rows, added
      // by the killed publisher, are taken back (checkClean), not left to a later publish naming them.
      await publishFromEmpty(c, point === 'built' ? first : second);
      const last = await checkServed(c);
      await checkClean(c);
      const listed = parseRelease(Buffer.from(splitClearsigned(last).signed).toString('utf8'));
      assert.ok(listed.sha256.has('main/binary-amd64/Packages'));
      t.diagnostic(`${point}: ${(performance.now() - started).toFixed(0)} ms`);
    } finally {
      c.pool.close();
      await c.store.close();
    }
  });
});
