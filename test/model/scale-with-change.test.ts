import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { after, before, describe, test } from 'node:test';
import { closeContext, type Context, openEmbeddedContext } from '../../src/model/context.js';
import { parseRelease } from '../../src/deb/release.js';
import { generateKey } from '../../src/keys/generate-key.js';
import { checkDb } from '../../src/model/db-maintenance.js';
import { publish, updatePublish } from '../../src/model/publish-ops.js';
import { addToRepo, createRepo } from '../../src/model/repo-ops.js';
import { createSnapshot, mergeSnapshots } from '../../src/model/snapshot-ops.js';
import type { PackageEntry } from '../../src/store/records.js';
import type { StoreWriter } from '../../src/store/store.js';
import { buildDeb } from '../helpers/build-deb.js';
import { isCode } from '../helpers/coded-error.js';
import { entryOf, syntheticPackage } from '../publish/synthetic-repo.js';

/*
 * Issue 12, item 2: work that scales with the change. A snapshot is copied inside the store and
 * must hold exactly what the old path (read every package, insert each) stored; adding one .deb
 * to a large repo must write only that package's rows.
 */

const COUNT = 2000;
const TABLES = ['packages', 'package_files', 'repo_packages', 'snapshot_packages', 'mirror_packages', 'repos', 'snapshots'];

/** Every row inserted, updated or deleted in the store's tables, counted by triggers in the file itself (so other connections' writes count). */
function countRowChanges(file: string): { read(): Record<string, number>; close(): void } {
  const db = new Database(file);
  db.exec('CREATE TABLE IF NOT EXISTS test_row_changes (what TEXT PRIMARY KEY, n INTEGER NOT NULL)');
  for (const t of TABLES) {
    for (const op of ['INSERT', 'UPDATE', 'DELETE']) {
      db.exec(
        `CREATE TRIGGER IF NOT EXISTS test_${t}_${op} AFTER ${op} ON ${t} BEGIN
           INSERT INTO test_row_changes (what, n) VALUES ('${op} ${t}', 1) ON CONFLICT (what) DO UPDATE SET n = n + 1;
         END`,
      );
    }
  }
  return {
    read: () => Object.fromEntries(db.prepare<[], { what: string; n: number }>('SELECT what, n FROM test_row_changes ORDER BY what').all().map((r) => [r.what, r.n])),
    close: () => {
      for (const t of TABLES) for (const op of ['INSERT', 'UPDATE', 'DELETE']) db.exec(`DROP TRIGGER test_${t}_${op}`);
      db.exec('DROP TABLE test_row_changes');
      db.close();
    },
  };
}

/** Whole-set reads: what an operation on one package (or a set-level copy) must not need. */
const WHOLE_SET_READS = ['mirrorPackages', 'repoPackages', 'snapshotPackages'];

/** The context with its store wrapped to record which store methods are called, in transactions too. */
function recording(ctx: Context): { ctx: Context; calls: string[] } {
  const calls: string[] = [];
  const wrap = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(t, prop, receiver) {
        const value: unknown = Reflect.get(t, prop, receiver);
        if (typeof value !== 'function') return value;
        calls.push(String(prop));
        if (prop === 'transaction') return (fn: (tx: StoreWriter) => Promise<unknown>) => ctx.store.transaction((tx) => fn(wrap(tx)));
        return (value as (...args: unknown[]) => unknown).bind(t);
      },
    });
  return { ctx: { ...ctx, store: wrap(ctx.store) }, calls };
}

describe('work that scales with the change', () => {
  let dir: string;
  let ctx: Context;
  let entries: PackageEntry[];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'debstash-scale-'));
    ctx = await openEmbeddedContext(join(dir, 'data'));
    // Two components, and one package in both: a snapshot keeps each package once.
    entries = Array.from({ length: COUNT }, (_, i) => entryOf(syntheticPackage(i, 5), i % 7 === 0 ? 'contrib' : 'main'));
    await createRepo(ctx, 'big');
    await ctx.store.transaction((tx) => tx.addRepoPackages('big', [...entries, { ...(entries[1] as PackageEntry), component: 'non-free' }]));
  });
  after(async () => {
    await closeContext(ctx);
    await rm(dir, { recursive: true, force: true });
  });

  test('a snapshot of a repo holds, package for package, what the package-by-package path stored, and stays frozen', async () => {
    const before = await ctx.store.repoPackages('big');
    assert.equal(before.length, COUNT);
    await ctx.store.transaction((tx) => tx.createSnapshot('old-path', 'x', [{ kind: 'repo', name: 'big' }], before, 't'));
    const rec = recording(ctx);
    const made = await createSnapshot(rec.ctx, 'new-path', { repo: 'big' });
    assert.deepEqual(rec.calls.filter((c) => WHOLE_SET_READS.includes(c)), [], 'no package passes through the model');
    assert.equal(made.packageCount, COUNT);
    assert.deepEqual(made.origins, [{ kind: 'repo', name: 'big' }]);
    assert.deepEqual(await ctx.store.snapshotPackages('new-path'), await ctx.store.snapshotPackages('old-path'));
    assert.deepEqual(await ctx.store.snapshotPackages('new-path'), before);

    // Frozen: the repo changes, the snapshot does not; its files stay referenced for db check.
    await ctx.store.transaction((tx) => tx.removeRepoPackages('big', before.slice(0, 10)));
    assert.equal((await ctx.store.getRepo('big'))?.packageCount, COUNT - 10);
    assert.deepEqual(await ctx.store.snapshotPackages('new-path'), before);
    assert.ok((await checkDb(ctx)).referenced >= COUNT);
    await ctx.store.transaction((tx) => tx.addRepoPackages('big', before.slice(0, 10)));

    await assert.rejects(createSnapshot(ctx, 'new-path', { repo: 'big' }), isCode('DEBSTASH_E_SNAPSHOT_EXISTS'));
    await assert.rejects(createSnapshot(ctx, 'none', { repo: 'missing' }), isCode('DEBSTASH_E_REPO_NOT_FOUND'));
    assert.equal(await ctx.store.getSnapshot('none'), undefined);
  });

  test('a merge is the union in source order (first source keeps its component), as the package-by-package path made it', async () => {
    const extra = entryOf(syntheticPackage(COUNT + 1, 5), 'main');
    const moved = { ...(entries[3] as PackageEntry), component: 'moved' };
    await ctx.store.transaction((tx) => tx.createSnapshot('small', 'x', [], [moved, extra], 't'));
    const rec = recording(ctx);
    const merged = await mergeSnapshots(rec.ctx, 'merged', ['small', 'new-path']);
    assert.deepEqual(rec.calls.filter((c) => WHOLE_SET_READS.includes(c)), []);
    assert.equal(merged.packageCount, COUNT + 1);
    const got = await ctx.store.snapshotPackages('merged');
    const expected = [...(await ctx.store.snapshotPackages('new-path')).filter((p) => p.name !== moved.name), moved, extra];
    const key = (p: PackageEntry): string => `${p.name} ${p.version} ${p.component}`;
    assert.deepEqual(got.map(key).sort(), expected.map(key).sort());
  });

  test('a snapshot of several sources (what apply makes) holds each package once', async () => {
    await createRepo(ctx, 'second');
    await ctx.store.transaction((tx) => tx.addRepoPackages('second', [entryOf(syntheticPackage(COUNT + 2, 5)), entries[0] as PackageEntry]));
    await ctx.store.transaction((tx) => tx.createSnapshotOfOrigins('both', 'x', [{ kind: 'repo', name: 'big' }, { kind: 'repo', name: 'second' }], 't'));
    assert.equal((await ctx.store.getSnapshot('both'))?.packageCount, COUNT + 1);
  });

  test('adding one .deb to a large repo writes exactly its own rows, in one transaction', async () => {
    const debs = join(dir, 'debs');
    const one = await buildDeb(debs, { name: 'zz-new', version: '1.0', architecture: 'amd64' }, { compression: 'gzip' });
    const file = join(dir, 'data', 'debstash.sqlite');
    const changes = countRowChanges(file);
    try {
      const rec = recording(ctx);
      const r = await addToRepo(rec.ctx, 'big', [one]);
      assert.deepEqual(rec.calls.filter((c) => WHOLE_SET_READS.includes(c)), [], 'the repo is not read');
      assert.equal(rec.calls.filter((c) => c === 'transaction').length, 1);
      assert.deepEqual(r.added.map((p) => p.name), ['zz-new']);
      // One package row, its one file row, one link: nothing else in the repo was touched.
      assert.deepEqual(changes.read(), { 'INSERT package_files': 1, 'INSERT packages': 1, 'INSERT repo_packages': 1 });
      assert.deepEqual(await ctx.store.repoPackagesLike('big', r.added), r.added);

      // The same file again: nothing written at all.
      const again = await addToRepo(ctx, 'big', [one]);
      assert.equal(again.unchanged.length, 1);
      assert.deepEqual(changes.read(), { 'INSERT package_files': 1, 'INSERT packages': 1, 'INSERT repo_packages': 1 });

      // Other bytes under the same name, version and architecture: refused, nothing written.
      const other = await buildDeb(join(dir, 'other'), { name: 'zz-new', version: '1.0', architecture: 'amd64', files: { 'usr/share/doc/zz-new/x': 'other' } }, { compression: 'gzip' });
      await assert.rejects(addToRepo(ctx, 'big', [other]), isCode('DEBSTASH_E_PACKAGE_CONFLICT', /zz-new_1\.0_amd64 is already in repo "big"/));
      assert.deepEqual(changes.read(), { 'INSERT package_files': 1, 'INSERT packages': 1, 'INSERT repo_packages': 1 });

      // Replacing it unlinks one row and links one.
      const replaced = await addToRepo(ctx, 'big', [other], { forceReplace: true });
      assert.deepEqual(replaced.replaced.map((p) => p.files[0]?.sha256), r.added.map((p) => p.files[0]?.sha256));
      assert.deepEqual(changes.read(), { 'DELETE repo_packages': 1, 'INSERT package_files': 2, 'INSERT packages': 2, 'INSERT repo_packages': 2 });
      assert.equal((await ctx.store.getRepo('big'))?.packageCount, COUNT + 1);
    } finally {
      changes.close();
    }
  });

  test('a republish after one .deb was added shows the indexes a publish from scratch shows', async () => {
    await generateKey(ctx.store, { name: 'Scale Test' });
    await createRepo(ctx, 'local');
    const debs = join(dir, 'local-debs');
    // Non-ASCII text and an Architecture: all package among them.
    for (let i = 0; i < 12; i++) {
      await buildDeb(debs, { name: `tool-${i}`, version: `1.${i}`, architecture: i % 4 === 0 ? 'all' : 'amd64', extraFields: { Description: `tool ${i} für Ünïcode 🐧\n Jörg's 🐧 tool.` } }, { compression: 'gzip' });
    }
    await addToRepo(ctx, 'local', [debs]);
    await publish(ctx, { kind: 'repo', name: 'local' }, { dist: 'inc', architectures: ['amd64', 'arm64'] });
    const extra = await buildDeb(join(dir, 'local-extra'), { name: 'tool-new', version: '2.0', architecture: 'all' }, { compression: 'gzip' });
    await addToRepo(ctx, 'local', [extra]);
    await updatePublish(ctx, 'inc');
    await publish(ctx, { kind: 'repo', name: 'local' }, { dist: 'scratch', architectures: ['amd64', 'arm64'] });
    const indexes = async (dist: string): Promise<[string, string][]> =>
      [...parseRelease(await readFile(join(ctx.publicDir, 'dists', dist, 'Release'), 'utf8')).sha256.values()]
        .filter((e) => /\/Packages(\.gz|\.xz)?$/.test(e.path))
        .map((e) => [e.path, e.sha256]);
    const [inc, scratch] = [await indexes('inc'), await indexes('scratch')];
    assert.equal(inc.length, 6);
    assert.deepEqual(inc, scratch);
    assert.match(await readFile(join(ctx.publicDir, 'dists/inc/main/binary-arm64/Packages'), 'utf8'), /^Package: tool-new$/m);
  });

  test('one add giving two files for one package is refused, unless forced (the last wins)', async () => {
    await createRepo(ctx, 'twice');
    const a = await buildDeb(join(dir, 'twice-a'), { name: 'dup', version: '1', architecture: 'amd64' }, { compression: 'gzip' });
    const b = await buildDeb(join(dir, 'twice-b'), { name: 'dup', version: '1', architecture: 'amd64', files: { 'usr/share/doc/dup/x': 'b' } }, { compression: 'gzip' });
    await assert.rejects(addToRepo(ctx, 'twice', [a, b]), isCode('DEBSTASH_E_PACKAGE_CONFLICT', /dup_1_amd64 is given twice/));
    assert.equal((await ctx.store.getRepo('twice'))?.packageCount, 0);
    const forced = await addToRepo(ctx, 'twice', [a, b], { forceReplace: true });
    assert.equal(forced.added.length, 1);
    assert.deepEqual((await ctx.store.repoPackages('twice')).map((p) => p.files[0]?.sha256), forced.added.map((p) => p.files[0]?.sha256));
  });
});
