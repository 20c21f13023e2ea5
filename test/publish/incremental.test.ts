import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseRelease } from '../../src/deb/release.js';
import { publishTree, type PublishTreeOptions, type PublishTreeResult } from '../../src/publish/publish-tree.js';
import type { PackageEntry } from '../../src/store/records.js';
import { FaultServer } from '../helpers/fault-server.js';
import { IsolatedApt } from '../helpers/isolated-apt.js';
import { publishFixture, sourcesEntry, tryApt, viewLocator, type PublishFixture } from './publish-fixture.js';
import { DirPool, entryOf, syntheticPackage, type SyntheticPackage } from './synthetic-repo.js';

const COUNT = 1200;
/** Small chunks, so that a small repository has many. */
const CHUNKING = { minBytes: 16_384, spanBytes: 49_152, softMaxBytes: 131_072, maxBytes: 262_144 };
let f: PublishFixture;
let pool: DirPool;
let pkgs: SyntheticPackage[];
let entries: PackageEntry[];

before(async () => {
  f = await publishFixture();
  pkgs = Array.from({ length: COUNT + 3 }, (_, i) => syntheticPackage(i, 11));
  pool = await DirPool.create(join(f.dir, 'synthetic'), pkgs);
  entries = pkgs.slice(0, COUNT).map((p) => entryOf(p));
});

after(async () => {
  await f?.close();
});

const options = (prefix: string, packages: readonly PackageEntry[], over: Partial<PublishTreeOptions> = {}): PublishTreeOptions => ({
  root: f.root,
  prefix,
  dist: 'inc',
  components: [{ name: 'main', packages }],
  architectures: ['amd64', 'arm64'],
  meta: { origin: 'Incremental' },
  signer: f.signer,
  pool,
  store: f.store,
  chunking: CHUNKING,
  ...over,
});

async function releaseSums(prefix: string): Promise<Map<string, string>> {
  const release = parseRelease(await readFile(join(f.root, prefix, 'dists/inc/Release'), 'utf8'));
  return new Map([...release.sha256.values()].map((e) => [e.path, e.sha256]));
}

function index(r: PublishTreeResult, arch: string): PublishTreeResult['indexes'][number] {
  const i = r.indexes.find((x) => x.path === `main/binary-${arch}/Packages`);
  assert.ok(i);
  return i;
}

test('adding one package recompresses one or two chunks, and gives the same bytes as a publish from scratch', async () => {
  const full = await publishTree(options('inc', entries));
  const amd64 = index(full, 'amd64');
  assert.ok(amd64.chunks >= 8, `${amd64.chunks} chunks for ${amd64.size} bytes`);
  assert.equal(amd64.compressedChunks, amd64.chunks);
  assert.equal(full.pool.placed, COUNT);
  assert.equal(full.rendered, COUNT);

  const more = [...entries, entryOf(pkgs[COUNT])];
  const added = await publishTree(options('inc', more));
  // The new package is amd64 or all: one index or both change, each by a chunk or two.
  for (const arch of ['amd64', 'arm64']) {
    const i = index(added, arch);
    assert.ok(i.compressedChunks <= 2, `${arch}: ${i.compressedChunks} of ${i.chunks} chunks compressed again`);
    assert.ok(i.reusedChunks >= i.chunks - 2);
  }
  assert.deepEqual(added.pool, { placed: 1, kept: COUNT });
  // Only the new package's paragraph is rendered; the others are the previous generation's bytes.
  assert.equal(added.rendered, 1);

  // Removing it again reuses everything: that generation is still served by hash.
  const removed = await publishTree(options('inc', entries));
  for (const i of removed.indexes) assert.equal(i.compressedChunks, 0, i.path);
  assert.ok(removed.indexes.every((i) => i.unchanged));

  // Replacing one in the middle.
  const swapped = entries.slice();
  swapped[COUNT / 2] = entryOf(pkgs[COUNT + 1]);
  const replaced = await publishTree(options('inc', swapped));
  assert.equal(replaced.rendered, 1);
  assert.ok(replaced.indexes.every((i) => i.compressedChunks <= 3), JSON.stringify(replaced.indexes));

  // The same set from scratch, elsewhere: byte for byte the same indexes.
  await publishTree(options('scratch', swapped));
  const [inc, scratch] = await Promise.all([releaseSums('inc'), releaseSums('scratch')]);
  assert.deepEqual(inc, scratch);

  // And they decode, and apt reads them.
  const dir = join(f.root, 'inc/dists/inc/main/binary-amd64');
  execFileSync('xz', ['-t', join(dir, 'Packages.xz')]);
  assert.deepEqual(execFileSync('xz', ['-dc', join(dir, 'Packages.xz')], { maxBuffer: 1 << 28 }), await readFile(join(dir, 'Packages')));
  assert.deepEqual(execFileSync('gzip', ['-dc', join(dir, 'Packages.gz')], { maxBuffer: 1 << 28 }), await readFile(join(dir, 'Packages')));
  const server = await FaultServer.start(f.root, { locate: viewLocator(f.store, [pool]) });
  const apt = await IsolatedApt.create(sourcesEntry(`${server.url}inc/`, 'inc', ['main'], f.signer.keyring));
  try {
    const update = await tryApt(apt, 'update');
    assert.ok(update.ok, update.out);
    const { stdout } = await apt.aptGet('download', '--print-uris', pkgs[COUNT + 1].name);
    assert.match(stdout, new RegExp(`SHA256:${pkgs[COUNT + 1].sha256}`));
  } finally {
    await apt.close();
    await server.close();
  }
});

test('a damaged by-hash file is not reused; other settings are not mixed in', async () => {
  const amd64Only = { architectures: ['amd64'] };
  const entries = pkgs.slice(0, 600).map((p) => entryOf(p));
  const first = await publishTree(options('damaged', entries, amd64Only));
  assert.ok(first.indexes.every((i) => i.compressedChunks === i.chunks));
  const sums = await releaseSums('damaged');
  const dir = join(f.root, 'damaged/dists/inc/main/binary-amd64/by-hash/SHA256');
  await truncate(join(dir, sums.get('main/binary-amd64/Packages.xz') ?? ''), 100);
  const next = await publishTree(options('damaged', [...entries, entryOf(pkgs[COUNT + 2])], amd64Only));
  await publishTree(options('damaged-scratch', [...entries, entryOf(pkgs[COUNT + 2])], amd64Only));
  assert.deepEqual(await releaseSums('damaged'), await releaseSums('damaged-scratch'));
  assert.ok(index(next, 'amd64').compressedChunks >= 1);

  // Another xz preset: nothing is reused (chunks of two presets would not match a fresh publish).
  const other = await publishTree(options('damaged', entries, { ...amd64Only, xzPreset: 1 }));
  for (const i of other.indexes) assert.equal(i.compressedChunks, i.chunks, i.path);
  execFileSync('xz', ['-t', join(f.root, 'damaged/dists/inc/main/binary-amd64/Packages.xz')]);
});

test('paragraphs taken from the previous generation (non-ASCII text, Architecture: all, udebs) give the bytes a publish from scratch gives; a damaged previous index is rendered again', async () => {
  // Astral and Latin-1 characters: chunk sizes count UTF-16 code units, files hold UTF-8.
  const unicode = (e: PackageEntry, i: number): PackageEntry =>
    i % 5 === 0 ? { ...e, stanza: e.stanza.replace(/^Maintainer: .*$/m, `Maintainer: Jörg Müller 🐧 ${i} <j@example.org>`) } : e;
  const base = pkgs.slice(0, 500).map((p, i) => unicode(entryOf(p), i));
  const udeb: PackageEntry = { ...entryOf(pkgs[COUNT + 2] as SyntheticPackage), kind: 'udeb' };
  const set = [...base, udeb];
  const first = await publishTree(options('reuse', set));
  assert.equal(first.rendered, set.length);

  const grown = [...set, unicode(entryOf(pkgs[COUNT] as SyntheticPackage), 0)];
  const next = await publishTree(options('reuse', grown));
  assert.equal(next.rendered, 1);
  await publishTree(options('reuse-scratch', grown));
  assert.deepEqual(await releaseSums('reuse'), await releaseSums('reuse-scratch'));

  // The previous plain index no longer hashes to its name: its paragraphs are rendered again.
  const sums = await releaseSums('reuse');
  const plain = join(f.root, 'reuse/dists/inc/main/binary-amd64/by-hash/SHA256', sums.get('main/binary-amd64/Packages') ?? '');
  await writeFile(plain, (await readFile(plain, 'utf8')).replace('Jörg', 'Jorg'));
  const again = await publishTree(options('reuse', set));
  assert.ok(again.rendered >= base.filter((e) => e.architecture === 'amd64').length, `${again.rendered} rendered`);
  await publishTree(options('reuse-scratch', set));
  assert.deepEqual(await releaseSums('reuse'), await releaseSums('reuse-scratch'));
});
