import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FsPool } from '../../src/pool/fs-pool.js';
import type { Pool } from '../../src/pool/pool.js';
import { putBlobs } from '../../src/pool/put-blobs.js';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

test('putBlobs falls back to one put each for a pool without putMany', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'debstash-put-blobs-'));
  try {
    const fs = await FsPool.open(dir);
    let puts = 0;
    const plain: Pool = {
      has: (h) => fs.has(h),
      stat: (h) => fs.stat(h),
      put: (body, expected, signal) => {
        puts++;
        return fs.put(body, expected, signal);
      },
      open: (h, range) => fs.open(h, range),
      delete: (h) => fs.delete(h),
      list: () => fs.list(),
      localPath: (h) => fs.localPath(h),
    };
    const blobs = ['one', 'two'].map((text) => Buffer.from(text)).map((bytes) => ({ bytes, sha256: sha256(bytes) }));
    assert.deepEqual(await putBlobs(plain, blobs), blobs.map((b) => ({ sha256: b.sha256, size: b.bytes.length })));
    assert.equal(puts, 2);
    for (const b of blobs) assert.deepEqual(await readFile(fs.localPath(b.sha256)), b.bytes);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
