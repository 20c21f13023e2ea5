import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ContentCheck } from '../../src/server/content-check.js';

test('ContentCheck: an unchanged version answers at once, a changed one is hashed again, memory is bounded (least recently used forgotten)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'debstash-content-check-'));
  try {
    const check = new ContentCheck(2);
    const files = await Promise.all(
      ['a', 'b', 'c'].map(async (name) => {
        const path = join(dir, name);
        await writeFile(path, `content ${name}\n`);
        return { path, digest: createHash('sha256').update(`content ${name}\n`).digest('hex') };
      }),
    );
    const verify = async (i: number, identity?: { mtimeMs: number }): Promise<boolean | 'at once'> => {
      const f = files[i];
      assert.ok(f !== undefined);
      const fh = await open(f.path, 'r');
      try {
        const st = await fh.stat();
        const v = check.verify({ algorithm: 'sha256', digest: f.digest }, { dev: st.dev, ino: st.ino, size: st.size, mtimeMs: identity?.mtimeMs ?? st.mtimeMs, ctimeMs: st.ctimeMs }, fh);
        return v === true ? 'at once' : await v;
      } finally {
        await fh.close();
      }
    };
    assert.equal(await verify(0), true, 'hashed the first time');
    assert.equal(await verify(0), 'at once');
    assert.equal(await verify(1), true);
    assert.equal(await verify(0), 'at once', 'a is now the most recently used');
    assert.equal(await verify(2), true);
    assert.equal(check.size, 2);
    assert.equal(await verify(0), 'at once', 'a was kept');
    assert.equal(await verify(1), true, 'b, the least recently used, was forgotten: hashed again');
    assert.equal(await verify(1, { mtimeMs: 1 }), true, 'another version: hashed again');

    // The same content in two files (one index under two publishes): each is remembered.
    const twin = join(dir, 'twin');
    await writeFile(twin, 'content a\n');
    const both = new ContentCheck(4);
    const verifyAt = async (path: string): Promise<boolean | 'at once'> => {
      const fh = await open(path, 'r');
      try {
        const st = await fh.stat();
        const v = both.verify({ algorithm: 'sha256', digest: files[0]?.digest ?? '' }, st, fh);
        return v === true ? 'at once' : await v;
      } finally {
        await fh.close();
      }
    };
    assert.equal(await verifyAt(files[0]?.path ?? ''), true);
    assert.equal(await verifyAt(twin), true);
    assert.equal(await verifyAt(files[0]?.path ?? ''), 'at once');
    assert.equal(await verifyAt(twin), 'at once');

    const [a] = files;
    assert.ok(a !== undefined);
    await writeFile(a.path, 'content A\n');
    assert.equal(await verify(0), false, 'changed: hashed again, and it no longer matches');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
