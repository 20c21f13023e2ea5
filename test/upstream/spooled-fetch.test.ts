import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FsPool } from '../../src/pool/fs-pool.js';
import { UpstreamClient } from '../../src/upstream/http-client.js';
import { SpooledFetch } from '../../src/upstream/spooled-fetch.js';
import { FaultServer } from '../helpers/fault-server.js';

let dir: string;
let server: FaultServer;
let client: UpstreamClient;
let pool: FsPool;
const bytes = randomBytes(700_000);
const expected = { sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length };

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'debstash-spool-'));
  await writeFile(join(dir, 'file.deb'), bytes);
  server = await FaultServer.start(dir);
  client = new UpstreamClient({ retries: 0 });
  pool = await FsPool.open(join(dir, 'pool'));
});
after(async () => {
  await client.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

/** Everything a reader got, and how it ended. */
async function drain(fetch: SpooledFetch): Promise<{ received: number; error: unknown }> {
  let received = 0;
  try {
    for await (const chunk of fetch.reader(0, expected.size - 1)) received += (chunk as Buffer).length;
    return { received, error: undefined };
  } catch (error) {
    return { received, error };
  }
}

test('a wrong last byte: readers never get it (they fail at the verdict, whatever they had read), nothing is stored, no spool is left', async () => {
  const wrong = Buffer.from(bytes);
  wrong[wrong.length - 1] ^= 0xff;
  server.inject('/file.deb', { body: wrong, times: 1 });
  const fetch = SpooledFetch.start(client, `${server.url}file.deb`, expected, pool, join(dir, 'spool'));
  const readers = await Promise.all([drain(fetch), drain(fetch)]);
  for (const r of readers) {
    assert.ok(r.received < expected.size, `${r.received} bytes of ${expected.size} reached a reader`);
    assert.match(String((r.error as { code?: string }).code), /DEBSTASH_E_POOL_HASH_MISMATCH/);
  }
  await assert.rejects(fetch.done);
  assert.equal(fetch.refused, true);
  assert.equal(await pool.has(expected.sha256), false);
  assert.deepEqual(await readdir(join(dir, 'spool')), []);
});

test('the right bytes reach every reader whole, go into the pool, and a reader that starts later reads the pool', async () => {
  const fetch = SpooledFetch.start(client, `${server.url}file.deb`, expected, pool, join(dir, 'spool'));
  await fetch.started;
  const [a, b] = await Promise.all([drain(fetch), drain(fetch)]);
  assert.deepEqual([a, b], [{ received: expected.size, error: undefined }, { received: expected.size, error: undefined }]);
  assert.deepEqual(await fetch.done, { sha256: expected.sha256, size: expected.size, linked: true });
  assert.equal(await pool.has(expected.sha256), true);
  assert.deepEqual(await drain(fetch), { received: expected.size, error: undefined });
  assert.deepEqual(await readdir(join(dir, 'spool')), []);
});

test('an upstream that answers 404 fails `started`, and the sweep removes only stale spools', async () => {
  const fetch = SpooledFetch.start(client, `${server.url}absent.deb`, expected, pool, join(dir, 'spool'));
  await assert.rejects(fetch.started, (e: unknown) => (e as { code?: string }).code === 'DEBSTASH_E_UPSTREAM_HTTP');
  assert.equal(fetch.refused, false);
  const spool = join(dir, 'spool');
  await writeFile(join(spool, 'old.1.x.part'), 'x');
  await writeFile(join(spool, 'new.1.x.part'), 'x');
  await utimes(join(spool, 'old.1.x.part'), new Date(0), new Date(0));
  await SpooledFetch.sweep(spool, 60_000);
  assert.deepEqual(await readdir(spool), ['new.1.x.part']);
});
