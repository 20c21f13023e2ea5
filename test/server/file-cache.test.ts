import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FileCache, type FileCacheOptions } from '../../src/server/file-cache.js';
import { representFile } from '../../src/server/file-representation.js';

const OPTIONS: FileCacheOptions = { budgetBytes: 3000, eagerBytes: 1000, maxFileBytes: 2000, immutableRecheckMs: 50 };

describe('FileCache: hot files in memory, only while the name shows the same file', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'debstash-file-cache-'));
    await mkdir(join(root, 'dists/d'), { recursive: true });
    await mkdir(join(root, 'pool/main/p'), { recursive: true });
  });
  after(() => rm(root, { recursive: true, force: true }));

  /** Writes a file and stores its representation, as the server does after reading it. */
  async function put(cache: FileCache, relative: string, bytes: number, fill = 'x'): Promise<void> {
    await writeFile(join(root, relative), fill.repeat(bytes));
    cache.store(relative, representFile(relative, await stat(join(root, relative)), Date.now(), await readFile(join(root, relative))));
  }

  test('small files are wanted at once, larger ones on their second request, the largest never', () => {
    const cache = new FileCache(root, OPTIONS);
    assert.equal(cache.wants('dists/d/InRelease', 1000), true);
    assert.equal(cache.wants('pool/main/p/big.deb', 1500), false);
    assert.equal(cache.wants('pool/main/p/big.deb', 1500), true);
    assert.equal(cache.wants('pool/main/p/huge.deb', 2001), false);
    assert.equal(cache.wants('pool/main/p/huge.deb', 2001), false);
    assert.equal(new FileCache(root, { ...OPTIONS, budgetBytes: 0 }).wants('dists/d/InRelease', 10), false);
  });

  test('a replaced or removed name is a miss at the next lookup', async () => {
    const cache = new FileCache(root, OPTIONS);
    await put(cache, 'dists/d/InRelease', 100);
    assert.equal(cache.lookup('dists/d/InRelease')?.body?.length, 100);
    await writeFile(join(root, 'dists/d/InRelease.new'), 'y'.repeat(100));
    await rename(join(root, 'dists/d/InRelease.new'), join(root, 'dists/d/InRelease'));
    assert.equal(cache.lookup('dists/d/InRelease'), undefined);
    assert.equal(cache.bytes, 0);
    await put(cache, 'dists/d/InRelease', 100);
    await unlink(join(root, 'dists/d/InRelease'));
    assert.equal(cache.lookup('dists/d/InRelease'), undefined);
  });

  test('an index name is stat\'ed once per event-loop turn: the turn after a rename sees it', async () => {
    const cache = new FileCache(root, OPTIONS);
    await put(cache, 'dists/d/Packages', 10);
    assert.ok(cache.lookup('dists/d/Packages'));
    writeFileSync(join(root, 'dists/d/Packages.new'), 'z');
    renameSync(join(root, 'dists/d/Packages.new'), join(root, 'dists/d/Packages'));
    // Requests answered in this turn arrived before it began, before this rename.
    assert.ok(cache.lookup('dists/d/Packages'));
    await new Promise((r) => setImmediate(r));
    assert.equal(cache.lookup('dists/d/Packages'), undefined);
  });

  test('a pool file is trusted for immutableRecheckMs, then looked at again', async () => {
    const cache = new FileCache(root, OPTIONS);
    await put(cache, 'pool/main/p/a.deb', 100);
    await unlink(join(root, 'pool/main/p/a.deb'));
    assert.ok(cache.lookup('pool/main/p/a.deb'), 'within the recheck period');
    await new Promise((r) => setTimeout(r, OPTIONS.immutableRecheckMs + 10));
    assert.equal(cache.lookup('pool/main/p/a.deb'), undefined);
  });

  test('over budget, what was not used since is evicted first', async () => {
    const cache = new FileCache(root, OPTIONS);
    for (const name of ['one', 'two', 'three']) await put(cache, `dists/d/${name}`, 1000);
    assert.equal(cache.bytes, 3000);
    assert.ok(cache.lookup('dists/d/one'));
    await put(cache, 'dists/d/four', 1000);
    assert.equal(cache.bytes, 3000);
    assert.ok(cache.lookup('dists/d/one'), 'used: kept');
    assert.equal(cache.lookup('dists/d/two'), undefined, 'unused and oldest: evicted');
    assert.ok(cache.lookup('dists/d/four'));
  });
});
