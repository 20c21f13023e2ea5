import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { putVerified } from '../../src/files/put-verified.js';
import { sha256Hex } from '../../src/files/sha256.js';
import { isCode } from '../helpers/coded-error.js';

describe('putVerified', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'debstash-put-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('places the file only once its size and SHA-256 are right', async () => {
    const data = Buffer.from('hello pool');
    const dest = join(dir, 'ok');
    const size = await putVerified(Readable.from([data.subarray(0, 3), data.subarray(3)]), { sha256: sha256Hex(data), size: data.length }, join(dir, 'ok.tmp'), (tmp) => rename(tmp, dest));
    assert.equal(size, data.length);
    assert.deepEqual(await readFile(dest), data);
  });

  test('a wrong size or hash never reaches `place` and leaves no temp file', async () => {
    const data = Buffer.from('hello pool');
    const place = (): never => assert.fail('placed a file that does not match');
    for (const expected of [{ sha256: sha256Hex(data), size: 3 }, { sha256: sha256Hex(Buffer.from('other')) }]) {
      await assert.rejects(putVerified(Readable.from([data]), expected, join(dir, 'bad.tmp'), place), isCode('DEBSTASH_E_POOL_HASH_MISMATCH'));
    }
    assert.deepEqual((await readdir(dir)).filter((n) => n.startsWith('bad')), []);
  });
});
