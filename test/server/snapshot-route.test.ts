/**
 * `/snapshots/ID/...` through debstash's own server on 127.0.0.1: the generation an ID names,
 * its signed Release files, its indexes by hash and by name, its pool files; 404 before the
 * oldest kept generation, 400 for a malformed ID; retention moves the oldest forward.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseRelease } from '../../src/deb/release.js';
import type { Context } from '../../src/model/context.js';
import { StoreLocks } from '../../src/model/store-locks.js';
import { releaseCopyDir } from '../../src/publish/generation-releases.js';
import { publishTree, type PublishStep, type PublishTreeResult } from '../../src/publish/publish-tree.js';
import { snapshotId } from '../../src/publish/snapshot-id.js';
import { type RunningServer, startServer } from '../../src/server/start-server.js';
import { generationFile, snapshotTarget } from '../../src/server/snapshot-route.js';
import type { PackageEntry } from '../../src/store/records.js';
import { publishFixture, type PublishFixture } from '../publish/publish-fixture.js';
import { rawGet } from './raw-get.js';

let f: PublishFixture;
let server: RunningServer;
const tools: PackageEntry[] = [];
const published: PublishTreeResult[] = [];
/**
 * Release dates of the generations: a minute apart, ahead of the clock (a publish checks its
 * signature as of its Date, and the test key is made now; no apt reads these).
 */
const t0 = Math.floor(Date.now() / 1000) * 1000 + 3_600_000;
const dateOf = (n: number): Date => new Date(t0 + n * 60_000);
const ID = (ms: number): string => snapshotId(new Date(ms));
const DIST_DIR = (): string => join(f.root, 'tt', 'dists', 'stable');

const publish = (n: number, onStep?: (step: PublishStep) => Promise<void>): Promise<PublishTreeResult> =>
  publishTree({
    root: f.root,
    prefix: 'tt',
    dist: 'stable',
    components: [{ name: 'main', packages: [tools[n] as PackageEntry] }],
    architectures: ['amd64'],
    meta: { origin: 'TimeTravel' },
    signer: f.signer,
    pool: f.pool,
    store: f.store,
    now: dateOf(n),
    keepGenerations: 3,
    publicUrl: server.url,
    ...(onStep !== undefined ? { onStep } : {}),
  });

before(async () => {
  f = await publishFixture();
  for (const v of ['1.0', '2.0', '3.0', '4.0']) tools.push(await f.deb({ name: 'tool', version: v, architecture: 'amd64' }));
  const ctx: Context = { dataDir: f.dir, store: f.store, locks: new StoreLocks(f.store), pool: f.pool, indexCacheDir: join(f.dir, 'cache'), publicDir: f.root };
  server = await startServer(ctx, { host: '127.0.0.1', port: 0 });
  for (const n of [0, 1, 2]) published.push(await publish(n));
});

after(async () => {
  await server?.close(0);
  await f?.close();
});

const get = (id: string, rest: string): Promise<Response> => fetch(`${server.url}/snapshots/${id}/tt/${rest}`);
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

test('the Release names its snapshots under the public URL, with the prefix after the ID', async () => {
  const release = await readFile(join(DIST_DIR(), 'Release'), 'utf8');
  assert.match(release, new RegExp(`^Snapshots: ${server.url.replace(/[.]/g, '\\.')}/snapshots/@SNAPSHOTID@/tt/$`, 'm'));
  assert.equal(published.at(-1)?.snapshots, `${server.url}/snapshots/@SNAPSHOTID@/tt/`);
});

test('each ID gets the InRelease, Release and Release.gpg of the generation served then', async () => {
  const cases: [string, number][] = [
    [ID(dateOf(0).getTime()), 0],
    [ID(dateOf(1).getTime() - 1000), 0],
    [ID(dateOf(1).getTime()), 1],
    [ID(dateOf(2).getTime() + 5000), 2],
    ['29991231T235959Z', 2],
  ];
  await Promise.all(
    cases.map(async ([id, n]) => {
      const want = published[n] as PublishTreeResult;
      const release = await get(id, 'dists/stable/Release');
      assert.equal(release.status, 200, id);
      const text = await release.text();
      assert.equal(sha256(Buffer.from(text)), want.releaseSha256, `${id} → generation ${n}`);
      assert.equal(parseRelease(text, { source: id }).date.getTime(), dateOf(n).getTime());
      const inRelease = await (await get(id, 'dists/stable/InRelease')).text();
      assert.ok(inRelease.includes(text.trimEnd()), `${id}: InRelease signs that Release`);
      assert.match(await (await get(id, 'dists/stable/Release.gpg')).text(), /BEGIN PGP SIGNATURE/);
    }),
  );
  // The current generation is the one served at the plain path.
  assert.equal(await (await get('29991231T235959Z', 'dists/stable/InRelease')).text(), await readFile(join(DIST_DIR(), 'InRelease'), 'utf8'));
});

test("an older generation's indexes, by hash and by name, and its pool files", async () => {
  const id = ID(dateOf(0).getTime());
  const release = parseRelease(await (await get(id, 'dists/stable/Release')).text(), { source: 'gen 0' });
  const packages = release.sha256.get('main/binary-amd64/Packages');
  assert.ok(packages !== undefined);
  const byHash = await get(id, `dists/stable/main/binary-amd64/by-hash/SHA256/${packages.sha256}`);
  assert.equal(byHash.status, 200);
  const text = Buffer.from(await byHash.arrayBuffer());
  assert.equal(sha256(text), packages.sha256);
  assert.match(text.toString(), /^Version: 1\.0$/m);
  const plain = await get(id, 'dists/stable/main/binary-amd64/Packages');
  assert.equal(sha256(Buffer.from(await plain.arrayBuffer())), packages.sha256, 'the plain name is the generation’s file, not today’s');
  // An index of a later generation is not part of this one.
  const later = parseRelease(await (await get('29991231T235959Z', 'dists/stable/Release')).text(), { source: 'current' }).sha256.get('main/binary-amd64/Packages');
  assert.equal((await get(id, `dists/stable/main/binary-amd64/by-hash/SHA256/${later?.sha256 ?? ''}`)).status, 404);
  const filename = /^Filename: (\S+)$/m.exec(text.toString())?.[1] ?? '';
  const deb = await get(id, filename);
  assert.equal(deb.status, 200, filename);
  assert.equal(sha256(Buffer.from(await deb.arrayBuffer())), tools[0]?.files[0]?.sha256);
  assert.equal((await get(id, 'dists/stable/main/binary-amd64/Packages.bz2')).status, 404, 'not listed');
  assert.equal((await get(id, 'dists/elsewhere/InRelease')).status, 404, 'no such dist');
});

test('an ID before the oldest generation is a coded 404; a malformed one a coded 400', async () => {
  const early = await get(ID(dateOf(0).getTime() - 1000), 'dists/stable/InRelease');
  assert.equal(early.status, 404);
  assert.match(early.statusText, /DEBSTASH_E_SNAPSHOT_TOO_OLD/);
  assert.match(await early.text(), new RegExp(`^DEBSTASH_E_SNAPSHOT_TOO_OLD: tt stable has no snapshot at or before .* the oldest it keeps is ${ID(dateOf(0).getTime())}\\n$`));
  for (const bad of ['20260101', '20260230T000000Z', 'latest', '20260101T000000']) {
    const r = await rawGet(server.url, `/snapshots/${bad}/tt/dists/stable/InRelease`);
    assert.equal(r.status, 400, bad);
    assert.match(r.body, /^DEBSTASH_E_SNAPSHOT_ID: /, bad);
  }
  // Hidden files stay hidden under /snapshots/ too.
  assert.equal((await rawGet(server.url, `/snapshots/${ID(Date.now())}/tt/dists/stable/.debstash/state.json`)).status, 404);
});

test('retention decides how far back: a fourth publish drops the first generation and its Release files', async () => {
  const first = published[0] as PublishTreeResult;
  const copies = join(DIST_DIR(), releaseCopyDir(first.releaseSha256));
  assert.ok((await stat(copies)).isDirectory());
  published.push(await publish(3));
  const gone = await get(ID(dateOf(0).getTime()), 'dists/stable/InRelease');
  assert.equal(gone.status, 404);
  assert.match(await gone.text(), new RegExp(`oldest it keeps is ${ID(dateOf(1).getTime())}`));
  await assert.rejects(stat(copies), { code: 'ENOENT' });
  assert.equal((await get(ID(dateOf(1).getTime()), 'dists/stable/InRelease')).status, 200);
});

test('while a publish switches, an ID after the newest generation is what InRelease serves at every step', async () => {
  tools.push(await f.deb({ name: 'tool', version: '5.0', architecture: 'amd64' }));
  const seen: string[] = [];
  await publish(4, async (step) => {
    const live = await readFile(join(DIST_DIR(), 'InRelease'), 'utf8');
    const answered = await (await get('29991231T235959Z', 'dists/stable/InRelease')).text();
    if (answered !== live) seen.push(step);
  });
  assert.deepEqual(seen, [], 'steps at which /snapshots/ served another InRelease than the tree');
});

test('pure: the parts of a path under /snapshots/ID/, and the file of a generation that answers it', () => {
  assert.deepEqual(snapshotTarget('a/b/dists/d/main/binary-amd64/Packages'), { kind: 'dists', prefix: 'a/b', dist: 'd', file: 'main/binary-amd64/Packages' });
  assert.deepEqual(snapshotTarget('dists/d/InRelease'), { kind: 'dists', prefix: '', dist: 'd', file: 'InRelease' });
  assert.deepEqual(snapshotTarget('p/pool/main/t/tool/x.deb'), { kind: 'pool', prefix: 'p', path: 'pool/main/t/tool/x.deb' });
  assert.deepEqual(snapshotTarget('p/dists/d'), { kind: 'none' });
  assert.deepEqual(snapshotTarget('p/other'), { kind: 'none' });
  const g = { id: 1, date: '', releaseSha256: 'f'.repeat(64), codec: 'c', chunks: {}, pool: null, files: { 'main/binary-amd64/Packages.xz': { size: 1, md5: '', sha256: 'a'.repeat(64), sha512: 'b'.repeat(128) } } };
  assert.deepEqual(generationFile(g, 'InRelease'), { path: `.debstash/releases/${'f'.repeat(64)}/InRelease`, fallback: 'InRelease' });
  assert.deepEqual(generationFile(g, 'main/binary-amd64/Packages.xz'), { path: `main/binary-amd64/by-hash/SHA256/${'a'.repeat(64)}` });
  assert.deepEqual(generationFile(g, `main/binary-amd64/by-hash/SHA512/${'b'.repeat(128)}`), { path: `main/binary-amd64/by-hash/SHA512/${'b'.repeat(128)}` });
  assert.equal(generationFile(g, `main/source/by-hash/SHA256/${'a'.repeat(64)}`), undefined, 'listed in another directory');
  assert.equal(generationFile(g, 'main/binary-amd64/Packages'), undefined);
  assert.equal(generationFile(g, '__proto__'), undefined);
  assert.equal(generationFile(g, 'constructor'), undefined);
});
