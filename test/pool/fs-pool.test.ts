import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FsPool } from '../../src/pool/fs-pool.js';
import { isCode } from '../helpers/coded-error.js';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

async function* chunks(data: Buffer, size = 1000): AsyncIterable<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

/** What only the filesystem pool has; the contract every pool keeps is in pool.test.ts. */
describe('FsPool', () => {
  let dir: string;
  let pool: FsPool;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'debstash-pool-'));
    pool = await FsPool.open(dir);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const tmpLeft = async (): Promise<string[]> => readdir(join(dir, '.tmp'));

  test('opening the pool removes old temp files only: a recent one may be another process writing', async () => {
    const old = join(dir, '.tmp', 'crashed.0');
    const live = join(dir, '.tmp', 'writing.0');
    await writeFile(old, 'x');
    await writeFile(live, 'y');
    const dayAgo = new Date(Date.now() - 24 * 3600 * 1000);
    await utimes(old, dayAgo, dayAgo);
    await FsPool.open(dir);
    assert.deepEqual(await tmpLeft(), ['writing.0']);
    await rm(live);
  });

  test('localPath is the fan-out path of a stored file, for hard links; a malformed hash is refused', async () => {
    const data = Buffer.from('linked from the pool');
    const h = sha256(data);
    await pool.put(chunks(data), { sha256: h });
    assert.equal(pool.localPath(h), join(dir, h.slice(0, 2), h.slice(2, 4), h));
    assert.deepEqual(await readFile(pool.localPath(h)), data);
    assert.throws(() => pool.localPath('ABC'), TypeError);
  });
});

test('disk full while writing: coded error, no partial file', async (t) => {
  const mnt = await mkdtemp(join(tmpdir(), 'debstash-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt], { stdio: 'ignore' });
  } catch {
    await rm(mnt, { recursive: true, force: true });
    t.skip('cannot mount a small tmpfs here (needs root); disk-full case not exercised');
    return;
  }
  try {
    const pool = await FsPool.open(mnt);
    const data = randomBytes(1024 * 1024);
    await assert.rejects(pool.put(chunks(data, 65536), { sha256: sha256(data) }), isCode('DEBSTASH_E_POOL_WRITE'));
    assert.deepEqual(await readdir(join(mnt, '.tmp')), []);
    const many = Array.from({ length: 4 }, () => randomBytes(100 * 1024));
    await assert.rejects(pool.putMany(many.map((bytes) => ({ bytes, sha256: sha256(bytes) }))), isCode('DEBSTASH_E_POOL_WRITE'));
    assert.deepEqual(await readdir(join(mnt, '.tmp')), []);
    const small = Buffer.from('still works after');
    await pool.put(chunks(small), { sha256: sha256(small) });
    assert.equal(await pool.has(sha256(small)), true);
  } finally {
    execFileSync('umount', [mnt]);
    await rm(mnt, { recursive: true, force: true });
  }
});
