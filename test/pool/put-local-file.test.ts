import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FsPool } from '../../src/pool/fs-pool.js';
import type { Pool } from '../../src/pool/pool.js';
import { putLocalFile } from '../../src/pool/put-local-file.js';
import { isCode } from '../helpers/coded-error.js';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

async function withDir(fn: (dir: string) => Promise<void>, parent = tmpdir()): Promise<void> {
  const dir = await mkdtemp(join(parent, 'debstash-put-file-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('putFile hard-links a file on the same filesystem, after checking its SHA-256', async () => {
  await withDir(async (dir) => {
    const pool = await FsPool.open(join(dir, 'pool'));
    const bytes = randomBytes(5000);
    const file = join(dir, 'a.deb');
    await writeFile(file, bytes);
    const stored = await putLocalFile(pool, file, { sha256: sha256(bytes), size: bytes.length });
    assert.equal(stored.linked, true);
    assert.equal((await stat(pool.localPath(sha256(bytes)))).ino, (await stat(file)).ino);
    // Stored again: nothing new, not counted as a link.
    assert.equal((await putLocalFile(pool, file, { sha256: sha256(bytes) })).linked, false);

    const other = join(dir, 'b.deb');
    await writeFile(other, randomBytes(100));
    const wrong = sha256(randomBytes(8));
    await assert.rejects(putLocalFile(pool, other, { sha256: wrong }), isCode('DEBSTASH_E_POOL_HASH_MISMATCH'));
    assert.equal(await pool.has(wrong), false);
    assert.deepEqual(await readdir(join(dir, 'pool', '.tmp')), [], 'no temp link left');
    assert.equal((await stat(other)).nlink, 1);
  });
});

test('putFile copies a file of another filesystem', async (t) => {
  const shm = '/dev/shm';
  const devices = await Promise.all([stat(tmpdir()), stat(shm)].map((p) => p.then((s) => s.dev, () => undefined)));
  if (devices[1] === undefined || devices[0] === devices[1]) return t.skip('no second filesystem (/dev/shm) here');
  await withDir(async (dir) => {
    await withDir(async (elsewhere) => {
      const pool = await FsPool.open(join(dir, 'pool'));
      const bytes = randomBytes(3000);
      const file = join(elsewhere, 'a.deb');
      await writeFile(file, bytes);
      const stored = await putLocalFile(pool, file, { sha256: sha256(bytes), size: bytes.length });
      assert.equal(stored.linked, false);
      assert.deepEqual(await readFile(pool.localPath(sha256(bytes))), bytes);
    }, shm);
  });
});

test('putLocalFile streams the file through put for a pool without putFile', async () => {
  await withDir(async (dir) => {
    const fs = await FsPool.open(join(dir, 'pool'));
    const plain: Pool = { has: (h) => fs.has(h), stat: (h) => fs.stat(h), put: (b, e, s) => fs.put(b, e, s), open: (h, r) => fs.open(h, r), delete: (h) => fs.delete(h), list: () => fs.list(), localPath: () => undefined };
    const bytes = randomBytes(1000);
    const file = join(dir, 'a.deb');
    await writeFile(file, bytes);
    assert.equal((await putLocalFile(plain, file, { sha256: sha256(bytes) })).linked, false);
    assert.deepEqual(await readFile(fs.localPath(sha256(bytes))), bytes);
  });
});
