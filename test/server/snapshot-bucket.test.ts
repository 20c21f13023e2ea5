/**
 * `/snapshots/ID/...` with the published trees in the bucket (S3 storage, a real Swift): a
 * replica publishes with its working copy, as publish-ops does (hydrate, then publishTree with
 * the bucket's steps); another on an empty data dir answers every snapshot path exactly as the
 * publisher does, from the bucket: the generation's signed Release files, its indexes by hash
 * and by name, its pool files; 404 before the oldest kept generation, 400 for a malformed ID;
 * retention deletes a dropped generation's Release files from the bucket; a damaged copy is a
 * 500, never a 200.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { forEachConcurrent } from '../../src/concurrency/for-each-concurrent.js';
import { parseRelease } from '../../src/deb/release.js';
import type { Context } from '../../src/model/context.js';
import { StoreLocks } from '../../src/model/store-locks.js';
import type { PublicObjects } from '../../src/pool/bucket-objects.js';
import { S3Pool } from '../../src/pool/s3-pool.js';
import { BucketTree } from '../../src/publish/bucket-tree.js';
import { releaseCopyDir } from '../../src/publish/generation-releases.js';
import { publishTree, type PublishTreeResult } from '../../src/publish/publish-tree.js';
import { snapshotId } from '../../src/publish/snapshot-id.js';
import { type RunningServer, startServer } from '../../src/server/start-server.js';
import type { PackageEntry } from '../../src/store/records.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { reachableHostArchive } from '../helpers/host-archive.js';
import { SWIFT_CREDENTIALS, SwiftS3Server } from '../helpers/swift-s3-server.js';
import { makeTestSigner, type TestSigner } from '../helpers/test-signer.js';
import { trixieChroot, trixieUnavailable } from '../helpers/trixie-chroot.js';
import { entryOf, syntheticPackage } from '../publish/synthetic-repo.js';
import { rawGet } from './raw-get.js';

const skip = SwiftS3Server.missing() ?? false;
const BUCKET = 'time-travel';
const BASE = 'tt/dists/stable/';

/** A replica: its own data dir, store connection and bucket client, serving on 127.0.0.1. */
interface Replica {
  readonly root: string;
  readonly pool: S3Pool;
  readonly store: SqliteStore;
  readonly server: RunningServer;
}

let dir: string;
let swift: SwiftS3Server;
let signer: TestSigner;
let storeFile: string;
let objects: PublicObjects;
let a: Replica;
let b: Replica;
let packages: PackageEntry[] = [];
const published: PublishTreeResult[] = [];
/** The InRelease each generation had, as the bucket served it right after its publish. */
const inReleases: Buffer[] = [];

/** Release dates a minute apart, ahead of the clock (a publish checks its signature as of its Date). */
const t0 = Math.floor(Date.now() / 1000) * 1000 + 3_600_000;
const dateOf = (n: number): Date => new Date(t0 + n * 60_000);
const ID = (n: number, offsetMs = 0): string => snapshotId(new Date(dateOf(n).getTime() + offsetMs));
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

async function replica(name: string, options: { readonly storageRedirect?: boolean } = {}): Promise<Replica> {
  const dataDir = await mkdtemp(join(dir, `replica-${name}-`));
  const loc = { bucket: BUCKET, prefix: 'site/', endpoint: swift.endpoint, region: 'us-east-1', forcePathStyle: true };
  const pool = await S3Pool.open(loc, SWIFT_CREDENTIALS);
  const store = SqliteStore.open(storeFile);
  const root = join(dataDir, 'public');
  const ctx: Context = { dataDir, store, locks: new StoreLocks(store), pool, indexCacheDir: join(dataDir, 'cache'), publicDir: root };
  const server = await startServer(ctx, { host: '127.0.0.1', port: 0, ...(options.storageRedirect === true ? { storageRedirect: true } : {}) });
  return { root, pool, store, server };
}

/** Publishes `set` at tt/DIST through A, as publish-ops does with S3 storage, B's URL as the public URL. */
async function publishThroughA(dist: string, set: readonly PackageEntry[], now?: Date): Promise<PublishTreeResult> {
  const tree = new BucketTree({ objects: a.pool.publicObjects(), store: a.store, root: a.root, prefix: 'tt', dist });
  await tree.hydrate();
  return publishTree({
    root: a.root,
    prefix: 'tt',
    dist,
    components: [{ name: 'main', packages: set }],
    architectures: ['amd64'],
    meta: { origin: 'TimeTravel' },
    signer,
    pool: a.pool,
    store: a.store,
    ...(now !== undefined ? { now } : {}),
    keepGenerations: 3,
    publicUrl: b.server.url,
    onStep: (s) => tree.step(s),
  });
}

/** Generation `n` of tt/stable: packages n..n+3. */
async function publish(n: number): Promise<void> {
  published.push(await publishThroughA('stable', packages.slice(n, n + 4), dateOf(n)));
  inReleases.push(await bucketFile(`${BASE}InRelease`));
}

async function bucketFile(path: string): Promise<Buffer> {
  const got = await objects.fetch(path);
  assert.ok(got !== undefined && got !== 'unchanged', `${path} is in the bucket`);
  return got.body;
}

/** The Release copies in the bucket, by the Release SHA-256 they belong to. */
async function copiesInBucket(): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for await (const o of objects.list(`${BASE}.debstash/releases/`)) {
    const [sha, name] = o.path.slice(`${BASE}.debstash/releases/`.length).split('/');
    out.set(sha ?? '', [...(out.get(sha ?? '') ?? []), name ?? ''].sort());
  }
  return out;
}

before(async () => {
  if (skip !== false) return;
  dir = await mkdtemp(join(tmpdir(), 'debstash-snapshot-bucket-'));
  storeFile = join(dir, 'store.db');
  [swift, signer] = await Promise.all([SwiftS3Server.start(), makeTestSigner(join(dir, 'key'))]);
  await swift.createBucket(BUCKET);
  a = await replica('a');
  b = await replica('b');
  objects = a.pool.publicObjects();
  const all = Array.from({ length: 8 }, (_, i) => syntheticPackage(i, 7));
  await forEachConcurrent(all, 8, async (p) => {
    await a.pool.put(Readable.from([p.content]), { sha256: p.sha256, size: p.content.length });
  });
  packages = all.map((p) => entryOf(p));
  await publish(0);
  await publish(1);
}, { timeout: 120_000 });

after(async () => {
  for (const r of [a, b]) {
    await r?.server.close(0);
    r?.pool.close();
    await r?.store.close();
  }
  await swift?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** Where generation 0 publishes package 0 (only generation 0 has it). */
async function poolPathOfFirst(): Promise<string> {
  const release = parseRelease((await bucketFile(`${BASE}${releaseCopyDir(published[0]?.releaseSha256 ?? '')}/Release`)).toString('utf8'), { source: 'gen 0' });
  const index = (await bucketFile(`${BASE}main/binary-amd64/by-hash/SHA256/${release.sha256.get('main/binary-amd64/Packages')?.sha256 ?? ''}`)).toString('utf8');
  const paragraph = index.split('\n\n').find((p) => p.includes(`SHA256: ${packages[0]?.files[0]?.sha256 ?? ''}`)) ?? '';
  const filename = /^Filename: (\S+)$/m.exec(paragraph)?.[1];
  assert.ok(filename !== undefined, 'generation 0 lists package 0');
  return filename;
}

const get = (r: Replica, id: string, rest: string): Promise<Response> => fetch(`${r.server.url}/snapshots/${id}/tt/${rest}`);

test('the generations\' Release files are in the bucket, immutable, and B has no data of its own', { skip }, async () => {
  const copies = await copiesInBucket();
  assert.deepEqual([...copies.keys()].sort(), published.map((p) => p.releaseSha256).sort());
  for (const names of copies.values()) assert.deepEqual(names, ['InRelease', 'Release', 'Release.gpg']);
  const release = await objects.fetch(`${BASE}${releaseCopyDir(published[0]?.releaseSha256 ?? '')}/Release`);
  assert.ok(release !== undefined && release !== 'unchanged');
  assert.equal(sha256(release.body), published[0]?.releaseSha256);
  const s3 = swift.client(2);
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `site/public/${BASE}${releaseCopyDir(published[1]?.releaseSha256 ?? '')}/InRelease` }));
    assert.match(head.CacheControl ?? '', /immutable/);
  } finally {
    s3.destroy();
  }
  assert.deepEqual(await readdir(b.root).catch(() => []), [], 'B never wrote a tree');
});

test('B, on an empty data dir, answers every snapshot path exactly as A, the publisher', { skip }, async () => {
  const paths: string[] = [];
  for (const n of [0, 1]) {
    const release = parseRelease((await bucketFile(`${BASE}${releaseCopyDir(published[n]?.releaseSha256 ?? '')}/Release`)).toString('utf8'), { source: `gen ${n}` });
    const index = release.sha256.get('main/binary-amd64/Packages');
    assert.ok(index !== undefined);
    for (const id of [ID(n), ID(n, 30_000)]) {
      paths.push(`${id}|dists/stable/InRelease`, `${id}|dists/stable/Release`, `${id}|dists/stable/Release.gpg`);
      paths.push(`${id}|dists/stable/main/binary-amd64/by-hash/SHA256/${index.sha256}`, `${id}|dists/stable/main/binary-amd64/Packages`);
    }
  }
  paths.push(`29991231T235959Z|dists/stable/InRelease`, `${ID(0, -1000)}|dists/stable/InRelease`, `${ID(0)}|dists/elsewhere/InRelease`);
  await Promise.all(
    paths.map(async (p) => {
      const [id, rest] = p.split('|') as [string, string];
      const [fromA, fromB] = await Promise.all([get(a, id, rest), get(b, id, rest)]);
      assert.equal(fromB.status, fromA.status, p);
      assert.equal(fromB.statusText, fromA.statusText, p);
      assert.deepEqual(Buffer.from(await fromB.arrayBuffer()), Buffer.from(await fromA.arrayBuffer()), p);
    }),
  );
});

test('B: each ID gets its generation\'s InRelease, indexes by hash and by name, and pool files', { skip }, async () => {
  for (const n of [0, 1]) {
    const inRelease = await get(b, ID(n, 59_000), 'dists/stable/InRelease');
    assert.equal(inRelease.status, 200);
    assert.deepEqual(Buffer.from(await inRelease.arrayBuffer()), inReleases[n], `generation ${n}'s InRelease`);
    const releaseText = await (await get(b, ID(n), 'dists/stable/Release')).text();
    assert.equal(sha256(Buffer.from(releaseText)), published[n]?.releaseSha256);
    assert.match(await (await get(b, ID(n), 'dists/stable/Release.gpg')).text(), /BEGIN PGP SIGNATURE/);
  }
  const release = parseRelease(await (await get(b, ID(0), 'dists/stable/Release')).text(), { source: 'gen 0' });
  const index = release.sha256.get('main/binary-amd64/Packages');
  assert.ok(index !== undefined);
  const byHash = await get(b, ID(0), `dists/stable/main/binary-amd64/by-hash/SHA256/${index.sha256}`);
  assert.equal(byHash.status, 200);
  const text = Buffer.from(await byHash.arrayBuffer());
  assert.equal(sha256(text), index.sha256);
  assert.equal(sha256(Buffer.from(await (await get(b, ID(0), 'dists/stable/main/binary-amd64/Packages')).arrayBuffer())), index.sha256, 'the plain name is the generation\'s file, not today\'s');
  // Package 0 is only in generation 0; its pool path stays while the generation is kept.
  const filename = await poolPathOfFirst();
  const deb = await get(b, ID(0), filename);
  assert.equal(deb.status, 200, filename);
  assert.equal(sha256(Buffer.from(await deb.arrayBuffer())), packages[0]?.files[0]?.sha256);
  const later = parseRelease(await (await get(b, ID(1), 'dists/stable/Release')).text(), { source: 'gen 1' }).sha256.get('main/binary-amd64/Packages');
  assert.equal((await get(b, ID(0), `dists/stable/main/binary-amd64/by-hash/SHA256/${later?.sha256 ?? ''}`)).status, 404, 'not an index of generation 0');
  // The current generation's InRelease is the one served at the plain path.
  assert.deepEqual(Buffer.from(await (await get(b, '29991231T235959Z', 'dists/stable/InRelease')).arrayBuffer()), inReleases[1]);
});

test('B: an ID before the oldest generation is a coded 404; a malformed one a coded 400; state stays hidden', { skip }, async () => {
  const early = await get(b, ID(0, -1000), 'dists/stable/InRelease');
  assert.equal(early.status, 404);
  assert.match(early.statusText, /DEBSTASH_E_SNAPSHOT_TOO_OLD/);
  assert.match(await early.text(), new RegExp(`^DEBSTASH_E_SNAPSHOT_TOO_OLD: tt stable has no snapshot at or before .* the oldest it keeps is ${ID(0)}\\n$`));
  for (const bad of ['20260101', '20260230T000000Z', 'latest']) {
    const r = await rawGet(b.server.url, `/snapshots/${bad}/tt/dists/stable/InRelease`);
    assert.equal(r.status, 400, bad);
    assert.match(r.body, /^DEBSTASH_E_SNAPSHOT_ID: /, bad);
  }
  assert.equal((await rawGet(b.server.url, `/snapshots/${ID(1)}/tt/dists/stable/.debstash/state.json`)).status, 404);
});

test('with --redirect-to-storage, a snapshot\'s pool path is a redirect to its pool object', { skip }, async () => {
  const c = await replica('c', { storageRedirect: true });
  try {
    const path = await poolPathOfFirst();
    const res = await fetch(`${c.server.url}/snapshots/${ID(0)}/tt/${path}`, { redirect: 'manual' });
    assert.equal(res.status, 302);
    const got = Buffer.from(await (await fetch(res.headers.get('location') ?? '')).arrayBuffer());
    assert.equal(sha256(got), packages[0]?.files[0]?.sha256);
    assert.deepEqual(Buffer.from(await (await get(c, ID(0), 'dists/stable/InRelease')).arrayBuffer()), inReleases[0]);
  } finally {
    await c.server.close(0);
    c.pool.close();
    await c.store.close();
  }
});

test('retention deletes a dropped generation\'s Release files from the bucket; B then answers the coded 404; a damaged copy is a 500', { skip, timeout: 60_000 }, async () => {
  await publish(2);
  await publish(3);
  const kept = published.slice(1).map((p) => p.releaseSha256);
  assert.deepEqual([...(await copiesInBucket()).keys()].sort(), [...kept].sort(), 'the copies of the kept generations, no more');
  // B reads the bucket's state again after a second (BUCKET_RECHECK_MS).
  await sleep(1100);
  const gone = await get(b, ID(0, 30_000), 'dists/stable/InRelease');
  assert.equal(gone.status, 404);
  assert.match(await gone.text(), new RegExp(`oldest it keeps is ${ID(1)}`));
  assert.deepEqual(Buffer.from(await (await get(b, ID(1), 'dists/stable/InRelease')).arrayBuffer()), inReleases[1]);

  // Bytes changed behind debstash's back under a generation's copy: never served.
  const key = `${BASE}${releaseCopyDir(published[2]?.releaseSha256 ?? '')}/Release`;
  const s3 = swift.client(2);
  try {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `site/public/${key}`, Body: 'Origin: Evil\n', Metadata: { sha256: published[2]?.releaseSha256 ?? '' } }));
  } finally {
    s3.destroy();
  }
  await sleep(1100);
  const damaged = await get(b, ID(2), 'dists/stable/Release');
  assert.equal(damaged.status, 500);
  assert.match(await damaged.text(), /DEBSTASH_E_TREE_DAMAGED/);
});

test("trixie's apt through B: apt update --snapshot ID of the first generation gets what it had, through /snapshots/", { skip, timeout: 180_000 }, async (t) => {
  const upstream = await reachableHostArchive();
  const why = typeof upstream === 'string' ? upstream : await trixieUnavailable(upstream);
  if (why !== undefined || typeof upstream === 'string') return t.skip(why);
  // Its own dist, published now and a second later: apt checks Release dates and signatures against the clock.
  const first = await publishThroughA('live', packages.slice(0, 2));
  await sleep(1000 - (Date.now() % 1000) + 50);
  await publishThroughA('live', packages.slice(1, 3));
  const made = await trixieChroot(upstream);
  t.diagnostic(`trixie root ${made.cached ? 'unpacked from the cache' : 'built by debootstrap'} in ${(made.ms / 1000).toFixed(1)} s`);
  const root = made.chroot;
  try {
    await mkdir(join(root.dir, 'etc/apt/keyrings'), { recursive: true });
    await copyFile(signer.armoredFile, join(root.dir, 'etc/apt/keyrings/debstash.asc'));
    await rm(join(root.dir, 'etc/apt/sources.list'), { force: true });
    await writeFile(join(root.dir, 'etc/apt/sources.list.d/debstash.sources'), `Types: deb\nURIs: ${b.server.url}/tt\nSuites: live\nComponents: main\nSigned-By: /etc/apt/keyrings/debstash.asc\n`);
    const apt = async (...args: string[]): Promise<{ ok: boolean; out: string }> => {
      const r = await root.run(['apt-get', '-o', 'APT::Sandbox::User=root', '-o', 'Acquire::Retries=0', ...args], 120_000);
      const out = r.stdout + r.stderr;
      return { ok: r.code === 0 && !/^(W|E|Err):/m.test(out), out };
    };
    const only = packages[0]?.name ?? '';
    const id = snapshotId(first.date);
    const plain = await apt('update');
    assert.ok(plain.ok, plain.out);
    assert.equal((await apt('download', '--print-uris', only)).ok, false, `${only} is not in the current generation`);
    const old = await apt('update', '--snapshot', id);
    assert.ok(old.ok, old.out);
    assert.match(old.out, new RegExp(`/snapshots/${id}/tt live InRelease`));
    // The synthetic packages depend on libraries no source has: apt says where, the test fetches.
    const uris = await apt('download', '--print-uris', '--snapshot', id, only);
    assert.ok(uris.ok, uris.out);
    const uri = /^'([^']+)'/m.exec(uris.out)?.[1] ?? '';
    assert.ok(uri.startsWith(`${b.server.url}/snapshots/${id}/tt/pool/`), uris.out);
    assert.equal(sha256(Buffer.from(await (await fetch(uri)).arrayBuffer())), packages[0]?.files[0]?.sha256);
    const early = await apt('update', '--snapshot', snapshotId(new Date(first.date.getTime() - 3_600_000)));
    assert.equal(early.ok, false, early.out);
    assert.match(early.out, /DEBSTASH_E_SNAPSHOT_TOO_OLD/);
  } finally {
    await root.close();
  }
});
