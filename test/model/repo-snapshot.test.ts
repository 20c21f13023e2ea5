import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { closeContext, type Context, openEmbeddedContext } from '../../src/model/context.js';
import { addToRepo, createRepo, dropRepo, removeFromRepo } from '../../src/model/repo-ops.js';
import { createSnapshot, diffSnapshots, dropSnapshot, filterSnapshot, mergeSnapshots, pullIntoSnapshot, verifySnapshot } from '../../src/model/snapshot-ops.js';
import { buildDeb, type DebSpec } from '../helpers/build-deb.js';
import { isCode } from '../helpers/coded-error.js';

describe('local repos and snapshots', () => {
  let dir: string;
  let ctx: Context;
  const debs = new Map<string, string>();
  const build = async (spec: DebSpec, tag = ''): Promise<string> => {
    const path = await buildDeb(join(dir, `debs${tag}`), spec, { compression: 'xz' });
    debs.set(`${spec.name}_${spec.version}${tag}`, path);
    return path;
  };
  const names = (set: readonly { name: string; version: string }[]): string[] => set.map((p) => `${p.name}_${p.version}`);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'debstash-repo-'));
    ctx = await openEmbeddedContext(join(dir, 'data'));
    await build({ name: 'app', version: '1.0', architecture: 'amd64', depends: 'libapp (>= 1.0)' });
    await build({ name: 'app', version: '2.0', architecture: 'amd64', depends: 'libapp (>= 2.0)' });
    await build({ name: 'libapp', version: '1.0', architecture: 'amd64' });
    await build({ name: 'libapp', version: '2.0', architecture: 'amd64' });
    await build({ name: 'tool', version: '1', architecture: 'all', depends: 'missing-thing' });
    await build({ name: 'app', version: '1.0', architecture: 'amd64', depends: 'libapp (>= 1.0)', files: { 'usr/share/doc/app/x': 'other bytes' } }, '-other');
  });
  after(async () => {
    await closeContext(ctx);
    await rm(dir, { recursive: true, force: true });
  });

  test('repo add reads .debs (files and directories), stores them once, refuses a different file under the same identity', async () => {
    await createRepo(ctx, 'r1');
    await assert.rejects(createRepo(ctx, 'r1'), isCode('DEBSTASH_E_REPO_EXISTS'));
    const first = await addToRepo(ctx, 'r1', [debs.get('app_1.0') ?? '', debs.get('libapp_1.0') ?? '']);
    assert.deepEqual(names(first.added), ['app_1.0', 'libapp_1.0']);
    const again = await addToRepo(ctx, 'r1', [join(dir, 'debs')]);
    assert.deepEqual(names(again.unchanged), ['app_1.0', 'libapp_1.0']);
    assert.deepEqual(names(again.added).sort(), ['app_2.0', 'libapp_2.0', 'tool_1']);
    const stored = await ctx.store.repoPackages('r1');
    for (const p of stored) assert.equal(await ctx.pool.has(p.files[0]?.sha256 ?? ''), true);
    assert.match(stored[0]?.stanza ?? '', /^Package: app\nVersion: 1\.0\nArchitecture: amd64\n/);

    const other = debs.get('app_1.0-other') ?? '';
    await assert.rejects(addToRepo(ctx, 'r1', [other]), isCode('DEBSTASH_E_PACKAGE_CONFLICT', /app_1\.0_amd64 is already in repo "r1"/));
    assert.equal((await ctx.store.repoPackages('r1')).length, 5, 'a refused add changes nothing');
    const replaced = await addToRepo(ctx, 'r1', [other], { forceReplace: true });
    assert.deepEqual(names(replaced.replaced), ['app_1.0']);
    assert.equal((await ctx.store.repoPackages('r1')).length, 5);
  });

  test('repo remove takes a query; a bad query is a usage error', async () => {
    await createRepo(ctx, 'r2');
    await addToRepo(ctx, 'r2', [join(dir, 'debs')]);
    const gone = await removeFromRepo(ctx, 'r2', 'Name (% lib*), $Version (<< 2.0)');
    assert.deepEqual(names(gone), ['libapp_1.0']);
    await assert.rejects(removeFromRepo(ctx, 'r2', 'Name (%'), isCode('DEBSTASH_E_QUERY_SYNTAX'));
  });

  test('snapshots: create, merge --latest, filter --with-deps, pull, diff, verify, drop', async () => {
    await createRepo(ctx, 'old');
    await addToRepo(ctx, 'old', [debs.get('app_1.0') ?? '', debs.get('libapp_1.0') ?? '']);
    await createRepo(ctx, 'new');
    await addToRepo(ctx, 'new', [debs.get('app_2.0') ?? '', debs.get('libapp_2.0') ?? '', debs.get('tool_1') ?? '']);
    const s1 = await createSnapshot(ctx, 's-old', { repo: 'old' });
    assert.equal(s1.packageCount, 2);
    await createSnapshot(ctx, 's-new', { repo: 'new' });
    await assert.rejects(createSnapshot(ctx, 's-old', { repo: 'new' }), isCode('DEBSTASH_E_SNAPSHOT_EXISTS'));
    // Snapshots are frozen: changing the repo afterwards does not change them.
    await removeFromRepo(ctx, 'old', 'app');
    assert.equal((await ctx.store.snapshotPackages('s-old')).length, 2);

    assert.deepEqual(names(await ctx.store.snapshotPackages((await mergeSnapshots(ctx, 'all', ['s-old', 's-new'])).name)), ['app_1.0', 'app_2.0', 'libapp_1.0', 'libapp_2.0', 'tool_1']);
    assert.deepEqual(names(await ctx.store.snapshotPackages((await mergeSnapshots(ctx, 'latest', ['s-old', 's-new'], { latest: true })).name)), ['app_2.0', 'libapp_2.0', 'tool_1']);

    await filterSnapshot(ctx, 'latest', 'app-only', 'app');
    assert.deepEqual(names(await ctx.store.snapshotPackages('app-only')), ['app_2.0']);
    await filterSnapshot(ctx, 'latest', 'app-deps', 'app', { withDeps: true });
    assert.deepEqual(names(await ctx.store.snapshotPackages('app-deps')), ['app_2.0', 'libapp_2.0']);

    await pullIntoSnapshot(ctx, 's-old', 's-new', 'pulled', 'app', { withDeps: true });
    assert.deepEqual(names(await ctx.store.snapshotPackages('pulled')), ['app_2.0', 'libapp_2.0']);
    assert.deepEqual(names(await ctx.store.snapshotPackages('s-old')), ['app_1.0', 'libapp_1.0'], 'the base is unchanged');

    const diff = await diffSnapshots(ctx, 's-old', 'latest');
    const sizeOf = async (snapshot: string, name: string, version: string): Promise<number> =>
      (await ctx.store.snapshotPackages(snapshot)).find((p) => p.name === name && p.version === version)?.files.reduce((n, f) => n + f.size, 0) ?? -1;
    assert.ok(diff.added.every((p) => p.size > 0) && diff.upgraded.every((p) => p.fromSize > 0 && p.toSize > 0), 'sizes of the .debs');
    assert.equal(diff.upgraded[0]?.toSize, await sizeOf('latest', 'app', '2.0'));
    assert.equal(diff.upgraded[0]?.fromSize, await sizeOf('s-old', 'app', '1.0'));
    const plain = {
      added: diff.added.map(({ size: _s, ...p }) => p),
      removed: diff.removed,
      upgraded: diff.upgraded.map(({ fromSize: _f, toSize: _t, ...p }) => p),
      downgraded: diff.downgraded,
    };
    assert.deepEqual(plain, {
      added: [{ name: 'tool', architecture: 'all', version: '1' }],
      removed: [],
      upgraded: [
        { name: 'app', architecture: 'amd64', from: '1.0', to: '2.0' },
        { name: 'libapp', architecture: 'amd64', from: '1.0', to: '2.0' },
      ],
      downgraded: [],
    });
    assert.equal((await diffSnapshots(ctx, 'latest', 's-old')).downgraded.length, 2);

    assert.deepEqual(await verifySnapshot(ctx, 'latest'), [{ package: 'tool_1_all', dependency: 'missing-thing' }]);
    assert.deepEqual(await verifySnapshot(ctx, 'app-deps'), []);

    await ctx.store.transaction((tx) =>
      tx.savePublish({
        prefix: '',
        dist: 'stable',
        source: { kind: 'snapshot', name: 'latest' },
        architectures: ['amd64'],
        meta: { origin: 'o', label: 'l', suite: 'stable', codename: 'stable' },
        keyFingerprint: 'F'.repeat(40),
        createdAt: 't',
        updatedAt: 't',
        releaseSha256: '0'.repeat(64),
      }),
    );
    await assert.rejects(dropSnapshot(ctx, 'latest'), isCode('DEBSTASH_E_IN_USE', /published at \/ stable/));
    await dropSnapshot(ctx, 'app-only');
    await assert.rejects(dropSnapshot(ctx, 'app-only'), isCode('DEBSTASH_E_SNAPSHOT_NOT_FOUND'));
    await dropRepo(ctx, 'old');
  });
});
