import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, unlink, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { closeContext, openEmbeddedContext } from '../../src/model/context.js';
import { checkDb, cleanupDb } from '../../src/model/db-maintenance.js';
import { addToRepo, createRepo, dropRepo } from '../../src/model/repo-ops.js';
import { createSnapshot, dropSnapshot } from '../../src/model/snapshot-ops.js';
import { buildDeb } from '../helpers/build-deb.js';

test('db check finds missing and unreferenced pool files; cleanup deletes only what nothing refers to', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'debstash-db-'));
  const ctx = await openEmbeddedContext(join(dir, 'data'));
  try {
    const a = await buildDeb(join(dir, 'debs'), { name: 'a', version: '1', architecture: 'all' }, { compression: 'gzip' });
    const b = await buildDeb(join(dir, 'debs'), { name: 'b', version: '1', architecture: 'all' }, { compression: 'gzip' });
    await createRepo(ctx, 'r');
    await addToRepo(ctx, 'r', [a, b]);
    await createSnapshot(ctx, 's', { repo: 'r' });
    await dropRepo(ctx, 'r');
    assert.deepEqual(await checkDb(ctx), { missing: [], unreferenced: [], referenced: 2, problems: [], deferredAbsent: 0 });
    assert.deepEqual(await cleanupDb(ctx, { minAgeMs: 0 }), { deleted: 0, bytes: 0, keptRecent: 0, files: [], evicted: [], evictedBytes: 0, dryRun: false }, 'the snapshot still holds both');

    const [pa] = await ctx.store.snapshotPackages('s');
    const hash = pa?.files[0]?.sha256 ?? '';
    await unlink(ctx.pool.localPath(hash) ?? '');
    assert.deepEqual((await checkDb(ctx)).missing, [hash]);

    await dropSnapshot(ctx, 's');
    const after = await checkDb(ctx);
    assert.equal(after.referenced, 0);
    assert.equal(after.unreferenced.length, 1);
    assert.deepEqual(await cleanupDb(ctx), { deleted: 0, bytes: 0, keptRecent: 1, files: [], evicted: [], evictedBytes: 0, dryRun: false }, 'stored within the last hour: an update may be about to commit it');
    assert.equal((await cleanupDb(ctx, { minAgeMs: 0 })).deleted, 1);
    assert.deepEqual(await checkDb(ctx), { missing: [], unreferenced: [], referenced: 0, problems: [], deferredAbsent: 0 });
  } finally {
    await closeContext(ctx);
    await rm(dir, { recursive: true, force: true });
  }
});

test('storing a file the pool already has makes it recent again, so cleanup keeps it for an update about to commit it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'debstash-db-'));
  const ctx = await openEmbeddedContext(join(dir, 'data'));
  try {
    const a = await buildDeb(join(dir, 'debs'), { name: 'a', version: '1', architecture: 'all' }, { compression: 'gzip' });
    await createRepo(ctx, 'r');
    await addToRepo(ctx, 'r', [a]);
    const [pa] = await ctx.store.repoPackages('r');
    const hash = pa?.files[0]?.sha256 ?? '';
    await dropRepo(ctx, 'r');
    const old = new Date(Date.now() - 2 * 3_600_000);
    await utimes(ctx.pool.localPath(hash) ?? '', old, old);
    assert.equal((await ctx.pool.stat(hash))?.storedAt?.getTime(), old.getTime());

    // What a mirror update or a repo add does before it commits: store the file again.
    await ctx.pool.put(Readable.from([await readFile(a)]), { sha256: hash });
    assert.deepEqual(await cleanupDb(ctx), { deleted: 0, bytes: 0, keptRecent: 1, files: [], evicted: [], evictedBytes: 0, dryRun: false });
    assert.equal(await ctx.pool.has(hash), true);
  } finally {
    await closeContext(ctx);
    await rm(dir, { recursive: true, force: true });
  }
});
