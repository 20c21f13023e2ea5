import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseRelease } from '../../src/deb/release.js';
import { publishTree, type PublishTreeOptions } from '../../src/publish/publish-tree.js';
import type { PackageEntry } from '../../src/store/records.js';
import { FaultServer } from '../helpers/fault-server.js';
import { IsolatedApt } from '../helpers/isolated-apt.js';
import { publishFixture, sourcesEntry, tryApt, viewLocator, type PublishFixture } from './publish-fixture.js';

let f: PublishFixture;
let server: FaultServer;
let pkgs: Record<'a' | 'b' | 'c' | 'd', PackageEntry>;

before(async () => {
  f = await publishFixture();
  pkgs = {
    a: await f.deb({ name: 'alpha', version: '1', architecture: 'amd64' }),
    b: await f.deb({ name: 'beta', version: '1', architecture: 'all' }),
    c: await f.deb({ name: 'gamma', version: '1', architecture: 'amd64' }),
    d: await f.deb({ name: 'delta', version: '1', architecture: 'amd64' }),
  };
  server = await FaultServer.start(f.root, { locate: viewLocator(f.store, [f.pool]) });
});

after(async () => {
  await server?.close();
  await f?.close();
});

const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  );

function options(dist: string, packages: readonly PackageEntry[], label: string): PublishTreeOptions {
  return {
    root: f.root,
    prefix: 'r',
    dist,
    components: [{ name: 'main', packages }],
    architectures: ['amd64'],
    meta: { origin: 'Retention', description: label },
    signer: f.signer,
    store: f.store,
    pool: f.pool,
  };
}

interface Published {
  readonly inRelease: Buffer;
  /** by-hash paths (relative to dists/DIST) of every file the Release lists. */
  readonly byHash: string[];
}

async function publish(dist: string, packages: readonly PackageEntry[], label: string): Promise<Published> {
  await publishTree(options(dist, packages, label));
  const dir = join(f.root, 'r/dists', dist);
  const release = parseRelease(await readFile(join(dir, 'Release'), 'utf8'));
  const byHash: string[] = [];
  for (const e of release.sha256.values()) {
    const d = e.path.slice(0, e.path.lastIndexOf('/'));
    byHash.push(`${d}/by-hash/SHA256/${e.sha256}`, `${d}/by-hash/SHA512/${release.sha512?.get(e.path)?.sha512}`);
  }
  return { inRelease: await readFile(join(dir, 'InRelease')), byHash };
}

async function aptUpdateWith(inRelease: Buffer): Promise<{ ok: boolean; out: string }> {
  server.inject('/r/dists/main-dist/InRelease', { body: inRelease });
  const apt = await IsolatedApt.create(sourcesEntry(`${server.url}r/`, 'main-dist', ['main'], f.signer.keyring));
  try {
    return await tryApt(apt, 'update');
  } finally {
    server.clearFaults();
    await apt.close();
  }
}

test('by-hash keeps the last 3 generations, removes older ones, and so does the pool', async () => {
  const dir = join(f.root, 'r/dists/main-dist');
  // Another distribution of the prefix refers to gamma: the pool keeps it whatever main-dist does.
  await publish('other-dist', [pkgs.c], 'other');
  const gens: Published[] = [];
  gens.push(await publish('main-dist', [pkgs.a], 'gen 1'));
  gens.push(await publish('main-dist', [pkgs.a, pkgs.b], 'gen 2'));
  gens.push(await publish('main-dist', [pkgs.a, pkgs.b, pkgs.c], 'gen 3'));
  gens.push(await publish('main-dist', [pkgs.b, pkgs.c, pkgs.d], 'gen 4'));

  const kept = new Set(gens.slice(1).flatMap((g) => g.byHash));
  for (const path of kept) assert.ok(await exists(join(dir, path)), `${path} of a kept generation is gone`);
  const gone = gens[0].byHash.filter((p) => !kept.has(p));
  assert.ok(gone.length >= 6, 'generation 1 had files of its own');
  for (const path of gone) assert.equal(await exists(join(dir, path)), false, `${path} of generation 1 is still there`);
  // Nothing else is left under by-hash.
  const { listTree } = await import('./publish-fixture.js');
  const left = (await listTree(dir)).filter((p) => p.includes('/by-hash/'));
  assert.deepEqual(left.sort(), [...kept].sort());

  // A client that read generation 2's InRelease (one publish ago, and two) still gets everything.
  const viaGen2 = await aptUpdateWith(gens[1].inRelease);
  assert.ok(viaGen2.ok, viaGen2.out);
  const viaGen1 = await aptUpdateWith(gens[0].inRelease);
  assert.equal(viaGen1.ok, false, 'generation 1 should be gone');

  // alpha is in generations 2 and 3: still in the pool. Two more publishes drop it.
  const alpha = 'pool/main/a/alpha/alpha_1_amd64.deb';
  assert.ok(await f.published('r', alpha));
  await publish('main-dist', [pkgs.b, pkgs.d], 'gen 5');
  assert.ok(await f.published('r', alpha), 'generation 3 still refers to alpha');
  await publish('main-dist', [pkgs.b, pkgs.d], 'gen 6');
  assert.equal(await f.published('r', alpha), undefined, 'no kept generation refers to alpha');
  assert.equal(await exists(join(f.root, 'r/pool')), false, 'the pool is a view: nothing on disk');
  // gamma left main-dist's generations too, but other-dist has it.
  assert.ok(await f.published('r', 'pool/main/g/gamma/gamma_1_amd64.deb'));
  // The pool the view shows is untouched.
  assert.ok(await f.pool.has(pkgs.a.files[0].sha256));
});

test('keepGenerations 1 keeps only what the Release lists', async () => {
  const one = (packages: readonly PackageEntry[], label: string): Promise<unknown> =>
    publishTree({ ...options('solo', packages, label), prefix: 'one', keepGenerations: 1 });
  await one([pkgs.a], 'x');
  await one([pkgs.b], 'y');
  const dir = join(f.root, 'one/dists/solo/main/binary-amd64/by-hash/SHA256');
  const { readdir } = await import('node:fs/promises');
  const names = await readdir(dir);
  const release = parseRelease(await readFile(join(f.root, 'one/dists/solo/Release'), 'utf8'));
  const listed = [...release.sha256.values()].filter((e) => e.path.startsWith('main/binary-amd64/')).map((e) => e.sha256);
  assert.deepEqual(names.sort(), [...new Set(listed)].sort());
  assert.equal(await f.published('one', 'pool/main/a/alpha/alpha_1_amd64.deb'), undefined);
});

test('unpublishing a distribution removes it and the pool files only it referred to; the last one takes the prefix', async () => {
  const { unpublishTree } = await import('../../src/publish/unpublish-tree.js');
  const both = (dist: string, packages: readonly PackageEntry[]): Promise<unknown> => publishTree({ ...options(dist, packages, dist), prefix: 'drop' });
  await both('one', [pkgs.a, pkgs.b]);
  await both('two', [pkgs.b, pkgs.c]);
  const r1 = await unpublishTree({ root: f.root, prefix: 'drop', dist: 'one', store: f.store });
  assert.deepEqual(r1, { removed: true, poolRemoved: 1 });
  assert.equal(await exists(join(f.root, 'drop/dists/one')), false);
  assert.equal(await f.published('drop', 'pool/main/a/alpha/alpha_1_amd64.deb'), undefined);
  assert.ok(await f.published('drop', 'pool/main/b/beta/beta_1_all.deb'), 'two still has beta');
  assert.ok(await exists(join(f.root, 'drop/dists/two/InRelease')));
  assert.deepEqual(await unpublishTree({ root: f.root, prefix: 'drop', dist: 'one', store: f.store }), { removed: false, poolRemoved: 0 });
  await unpublishTree({ root: f.root, prefix: 'drop', dist: 'two', store: f.store });
  assert.equal(await exists(join(f.root, 'drop')), false, 'the prefix directory is left');
  assert.deepEqual(await f.store.poolView('drop'), [], 'pool paths are left');
  assert.ok(await f.pool.has(pkgs.a.files[0].sha256), 'the content-addressed pool is untouched');
});
