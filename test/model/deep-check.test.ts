import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateKey } from '../../src/keys/generate-key.js';
import { closeContext, type Context, openEmbeddedContext } from '../../src/model/context.js';
import { checkDb, cleanupDb } from '../../src/model/db-maintenance.js';
import { deepCheckDb } from '../../src/model/deep-check.js';
import { listPublishedFiles } from '../../src/model/published-files.js';
import { publish, updatePublish } from '../../src/model/publish-ops.js';
import { addToRepo, createRepo, dropRepo } from '../../src/model/repo-ops.js';
import { buildDeb } from '../helpers/build-deb.js';
import { flipByte } from '../helpers/flip-byte.js';

describe('db check --deep', () => {
  let dir: string;
  let ctx: Context;
  let debHash: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'debstash-deep-'));
    ctx = await openEmbeddedContext(join(dir, 'data'));
    await generateKey(ctx.store, { name: 'Deep Check' });
    const a = await buildDeb(join(dir, 'debs'), { name: 'a', version: '1', architecture: 'amd64' }, { compression: 'gzip' });
    const b = await buildDeb(join(dir, 'debs'), { name: 'b', version: '1', architecture: 'amd64' }, { compression: 'gzip' });
    await createRepo(ctx, 'r');
    await addToRepo(ctx, 'r', [a, b]);
    await publish(ctx, { kind: 'repo', name: 'r' }, { dist: 'stable', architectures: ['amd64'] });
    const [pa] = await ctx.store.repoPackages('r');
    debHash = pa?.files[0]?.sha256 ?? '';
  });
  after(async () => {
    await closeContext(ctx);
    await rm(dir, { recursive: true, force: true });
  });

  test('a sound data dir: neither check finds anything, --deep reads every pool and published file', async () => {
    assert.deepEqual((await checkDb(ctx)).problems, []);
    const deep = await deepCheckDb(ctx, { concurrency: 3 });
    assert.deepEqual(deep.problems, []);
    const { files } = await listPublishedFiles(ctx);
    assert.ok(files.some((f) => f.path.endsWith('/Release')) && files.some((f) => f.path.includes('/by-hash/SHA512/')));
    // 2 pool files, plus the published files read once per inode (plain names are links of by-hash ones).
    assert.ok(deep.hashedFiles > 2 && deep.hashedFiles < 2 + files.length, `${deep.hashedFiles} of ${files.length}`);
  });

  test('a flipped byte in a pool file: --deep names it, the fast check (metadata only) does not; repaired, both are clean', async () => {
    const path = ctx.pool.localPath(debHash) ?? '';
    const original = await readFile(path);
    await flipByte(path);
    try {
      assert.deepEqual((await checkDb(ctx)).problems, []);
      const deep = await deepCheckDb(ctx);
      assert.equal(deep.problems.length, 1);
      const [p] = deep.problems;
      assert.equal(p?.kind, 'pool-hash');
      assert.equal(p?.path, path);
      assert.equal(p?.expected, `sha256:${debHash}`);
      assert.match(p?.found ?? '', /^sha256:[0-9a-f]{64}$/);
      assert.notEqual(p?.found, p?.expected);
    } finally {
      await writeFile(path, original);
    }
    assert.deepEqual((await deepCheckDb(ctx)).problems, []);
  });

  test('a truncated or missing published index: the fast check names it (and its by-hash names)', async () => {
    const { files } = await listPublishedFiles(ctx);
    const packages = files.find((f) => f.path.endsWith('/binary-amd64/Packages.gz'));
    assert.ok(packages?.size !== undefined);
    const original = await readFile(packages.path);
    await truncate(packages.path, 10);
    try {
      const fast = (await checkDb(ctx)).problems;
      assert.ok(fast.length >= 2, 'the plain name and its by-hash links');
      for (const p of fast) assert.deepEqual({ kind: p.kind, expected: p.expected, found: p.found }, { kind: 'published-size', expected: `size:${packages.size}`, found: 'size:10' });
      assert.ok(fast.some((p) => p.path === packages.path));
      assert.deepEqual((await deepCheckDb(ctx)).problems.map((p) => p.path), fast.map((p) => p.path));
    } finally {
      // In place: the by-hash names are links of the same file.
      await writeFile(packages.path, original);
    }
    assert.deepEqual((await deepCheckDb(ctx)).problems, []);
    await rename(packages.path, `${packages.path}.away`);
    try {
      assert.deepEqual((await checkDb(ctx)).problems, [{ kind: 'published-missing', path: packages.path, expected: 'present', found: 'absent' }]);
    } finally {
      await rename(`${packages.path}.away`, packages.path);
    }
  });

  test('cleanup --dry-run removes nothing and reports the bytes a real cleanup then frees', async () => {
    const c = await buildDeb(join(dir, 'debs'), { name: 'c', version: '1', architecture: 'amd64' }, { compression: 'gzip' });
    await createRepo(ctx, 'gone');
    await addToRepo(ctx, 'gone', [c]);
    const [pc] = await ctx.store.repoPackages('gone');
    const hash = pc?.files[0]?.sha256 ?? '';
    await dropRepo(ctx, 'gone');
    const dry = await cleanupDb(ctx, { minAgeMs: 0, dryRun: true });
    assert.deepEqual({ ...dry, bytes: undefined }, { deleted: 1, bytes: undefined, keptRecent: 0, files: [hash], evicted: [], evictedBytes: 0, dryRun: true });
    assert.equal(dry.bytes, (await readFile(c)).length);
    assert.equal(await ctx.pool.has(hash), true, 'a dry run removes nothing');
    const real = await cleanupDb(ctx, { minAgeMs: 0 });
    assert.deepEqual(real, { ...dry, dryRun: false });
    assert.equal(await ctx.pool.has(hash), false);
    assert.deepEqual((await checkDb(ctx)).problems, []);
  });

  test('a plain index name left at the previous generation (a publish stopped before relinking) is stale, not damaged; publishing again relinks it', async () => {
    const d = await buildDeb(join(dir, 'debs'), { name: 'd', version: '1', architecture: 'amd64' }, { compression: 'gzip' });
    await addToRepo(ctx, 'r', [d]);
    await updatePublish(ctx, 'stable');
    const { files } = await listPublishedFiles(ctx);
    const plain = files.find((f) => f.path.endsWith('/binary-amd64/Packages.gz'));
    const old = plain?.older?.[0];
    assert.ok(plain !== undefined && old !== undefined, 'the previous generation is kept');
    // What a SIGKILL between the switch and step 5 leaves: the plain name still the old file.
    const oldByHash = join(plain.path, '..', 'by-hash', 'SHA256', old.sha256);
    await rm(plain.path);
    await copyFile(oldByHash, plain.path);
    const stale = { kind: 'published-stale', path: plain.path };
    assert.deepEqual((await checkDb(ctx)).problems.map((p) => ({ kind: p.kind, path: p.path })), [stale]);
    assert.deepEqual((await deepCheckDb(ctx)).problems, [{ ...stale, expected: `sha256:${plain.sha256}`, found: `sha256:${old.sha256}` }]);
    await updatePublish(ctx, 'stable');
    assert.deepEqual((await deepCheckDb(ctx)).problems, []);
  });
});
