import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, afterEach, before, describe, test } from 'node:test';
import { FsPool } from '../../src/pool/fs-pool.js';
import { UpstreamClient, type UpstreamClientOptions } from '../../src/upstream/http-client.js';
import { rejectsWith } from '../helpers/coded-error.js';
import { FaultServer } from '../helpers/fault-server.js';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('UpstreamClient', () => {
  let dir: string;
  let server: FaultServer;
  let pool: FsPool;
  let poolDir: string;
  const clients: UpstreamClient[] = [];
  const small = Buffer.from('Origin: Test\nSuite: test\n');
  const big = randomBytes(300_000);

  // Short timeouts and delays: the suite must stay fast.
  function client(options: UpstreamClientOptions = {}): UpstreamClient {
    const c = new UpstreamClient({ retryBaseDelayMs: 5, retryMaxDelayMs: 50, headersTimeoutMs: 300, bodyIdleTimeoutMs: 300, connectTimeoutMs: 300, ...options });
    clients.push(c);
    return c;
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'debstash-http-'));
    poolDir = await mkdtemp(join(tmpdir(), 'debstash-http-pool-'));
    await writeFile(join(dir, 'small'), small);
    await writeFile(join(dir, 'big'), big);
    for (let i = 0; i < 10; i++) await writeFile(join(dir, `f${i}`), Buffer.from(`file ${i}\n`));
    server = await FaultServer.start(dir);
    pool = await FsPool.open(poolDir);
  });
  afterEach(() => {
    server.clearFaults();
    server.resetStats();
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server.close();
    await rm(dir, { recursive: true, force: true });
    await rm(poolDir, { recursive: true, force: true });
  });

  const url = (p: string): string => new URL(p, server.url).href;
  const poolFiles = async (): Promise<string[]> => {
    const out: string[] = [];
    for await (const h of pool.list()) out.push(h);
    return out;
  };

  test('getBuffer returns the body with its ETag and Last-Modified', async () => {
    const r = await client().getBuffer(url('small'));
    assert.equal(r.notModified, false);
    if (r.notModified) return;
    assert.deepEqual(r.body, small);
    assert.match(r.etag ?? '', /^".+"$/);
    assert.ok(r.lastModified !== undefined && !Number.isNaN(Date.parse(r.lastModified)));
  });

  test('a conditional GET reports "not modified" on 304, by ETag and by date', async () => {
    const c = client();
    const first = await c.getBuffer(url('small'));
    assert.ok(!first.notModified);
    assert.deepEqual(await c.getBuffer(url('small'), { etag: first.etag }), { notModified: true });
    assert.deepEqual(await c.getBuffer(url('small'), { lastModified: first.lastModified }), { notModified: true });
    const changed = await c.getBuffer(url('small'), { etag: '"other"' });
    assert.equal(changed.notModified, false);
    assert.equal(server.requests.at(-1)?.headers['if-none-match'], '"other"');
  });

  test('503 twice, then success: retried', async () => {
    server.inject('/small', { status: 503, times: 2 });
    const r = await client().getBuffer(url('small'));
    assert.ok(!r.notModified);
    assert.deepEqual(r.body, small);
    assert.equal(server.count('/small'), 3);
  });

  test('429 with Retry-After is retried', async () => {
    server.inject('/small', { status: 429, times: 1, headers: { 'Retry-After': '0' } });
    const r = await client().getBuffer(url('small'));
    assert.ok(!r.notModified);
    assert.equal(server.count('/small'), 2);
  });

  test('404 is not retried and names the URL and status', async () => {
    await assert.rejects(
      client().getBuffer(url('nothing-here')),
      rejectsWith('DEBSTASH_E_UPSTREAM_HTTP', (e) => {
        assert.equal(e.details.status, 404);
        assert.equal(e.message, `${url('nothing-here')}: HTTP 404 Not Found`);
      }),
    );
    assert.equal(server.count('/nothing-here'), 1);
  });

  test('5xx that never ends fails after the retries with the status', async () => {
    server.inject('/small', { status: 502 });
    await assert.rejects(client({ retries: 2 }).getBuffer(url('small')), rejectsWith('DEBSTASH_E_UPSTREAM_HTTP', (e) => assert.equal(e.details.status, 502)));
    assert.equal(server.count('/small'), 3);
  });

  test('a hanging upstream times out (DEBSTASH_E_UPSTREAM_TIMEOUT) after bounded retries', async () => {
    server.inject('/small', { hang: true });
    const t0 = Date.now();
    await assert.rejects(client({ retries: 1 }).getBuffer(url('small')), rejectsWith('DEBSTASH_E_UPSTREAM_TIMEOUT', (e) => assert.match(e.message, /small: no answer within 300 ms$/)));
    assert.equal(server.count('/small'), 2);
    assert.ok(Date.now() - t0 < 2000);
  });

  test('a hang followed by a good answer is retried', async () => {
    server.inject('/small', { hang: true, times: 1 });
    const r = await client().getBuffer(url('small'));
    assert.ok(!r.notModified);
    assert.equal(server.count('/small'), 2);
  });

  test('a reset connection is retried', async () => {
    server.inject('/small', { reset: true, times: 2 });
    const r = await client().getBuffer(url('small'));
    assert.ok(!r.notModified);
    assert.deepEqual(r.body, small);
    assert.equal(server.count('/small'), 3);
  });

  test('a refused connection is DEBSTASH_E_UPSTREAM_UNREACHABLE after retries', async () => {
    const closed = await FaultServer.start(dir);
    const deadUrl = new URL('small', closed.url).href;
    await closed.close();
    await assert.rejects(client({ retries: 1 }).getBuffer(deadUrl), rejectsWith('DEBSTASH_E_UPSTREAM_UNREACHABLE', (e) => assert.match(e.message, /ECONNREFUSED/)));
  });

  test('redirects are followed', async () => {
    server.inject('/moved', { status: 302, headers: { Location: '/small' } });
    const r = await client().getBuffer(url('moved'));
    assert.ok(!r.notModified);
    assert.deepEqual(r.body, small);
  });

  test('maxBytes bounds what getBuffer accepts', async () => {
    await assert.rejects(client().getBuffer(url('big'), { maxBytes: 1000 }), rejectsWith('DEBSTASH_E_UPSTREAM_HTTP', (e) => assert.equal(e.details.maxBytes, 1000)));
  });

  test('a truncated body is resumed with a Range request, and the bytes are right', async () => {
    server.inject('/big', { truncateAfter: 100_000, times: 1 });
    const got = await collect(client().body(url('big'), { expectedSize: big.length }));
    assert.equal(sha256(got), sha256(big));
    const reqs = server.requests.filter((r) => r.path === '/big');
    assert.equal(reqs.length, 2);
    assert.equal(reqs[0].range, undefined);
    assert.match(reqs[1].range ?? '', /^bytes=\d+-$/);
    assert.ok(Number(/=(\d+)-/.exec(reqs[1].range ?? '')?.[1]) > 0);
    assert.match(String(reqs[1].headers['if-range']), /^".+"$/);
  });

  test('a body that stalls past the idle timeout is resumed too', async () => {
    server.inject('/big', { drip: { bytes: 64 * 1024, everyMs: 1000 }, times: 1 });
    const got = await collect(client().body(url('big')));
    assert.equal(sha256(got), sha256(big));
    assert.equal(server.count('/big'), 2);
  });

  test('when the server does not resume (200 to a Range), download starts over and succeeds', async () => {
    server.inject('/big', { truncateAfter: 50_000, times: 1 });
    server.inject('/big', { ignoreRange: true, times: 1 });
    const c = client();
    await assert.rejects(collect(c.body(url('big'))), rejectsWith('DEBSTASH_E_UPSTREAM_UNREACHABLE', (e) => assert.equal(e.details.resumable, false)));
    server.clearFaults();
    server.resetStats();
    server.inject('/big', { truncateAfter: 50_000, times: 1 });
    server.inject('/big', { ignoreRange: true, times: 1 });
    const entry = await c.download(url('big'), pool, { sha256: sha256(big), size: big.length });
    assert.equal(entry.sha256, sha256(big));
    assert.equal(server.count('/big'), 3);
    await pool.delete(sha256(big));
  });

  test('download stores verified bytes in the pool and skips files already there', async () => {
    const c = client();
    const entry = await c.download(url('small'), pool, { sha256: sha256(small), size: small.length });
    assert.deepEqual(entry, { sha256: sha256(small), size: small.length });
    assert.equal(await pool.has(sha256(small)), true);
    await c.download(url('small'), pool, { sha256: sha256(small), size: small.length });
    assert.equal(server.count('/small'), 1);
    await pool.delete(sha256(small));
  });

  test('download with the wrong hash fails after bounded retries, naming the URL, and stores nothing', async () => {
    const wrong = 'f'.repeat(64);
    await assert.rejects(
      client({ downloadAttempts: 3 }).download(url('small'), pool, { sha256: wrong, size: small.length }),
      rejectsWith('DEBSTASH_E_POOL_HASH_MISMATCH', (e) => {
        assert.ok(e.message.startsWith(`${url('small')}: expected SHA-256 ${wrong}`), e.message);
        assert.match(e.message, /\(3 attempts\)$/);
        assert.equal(e.details.url, url('small'));
      }),
    );
    assert.equal(server.count('/small'), 3);
    assert.deepEqual(await poolFiles(), []);
    assert.deepEqual(await readdir(join(poolDir, '.tmp')), []);
  });

  test('download with the wrong size fails early on Content-Length', async () => {
    await assert.rejects(
      client({ downloadAttempts: 2 }).download(url('big'), pool, { sha256: sha256(big), size: 10 }),
      rejectsWith('DEBSTASH_E_POOL_HASH_MISMATCH', (e) => assert.match(e.message, /expected 10 bytes, got a Content-Length of 300000/)),
    );
    assert.equal(server.count('/big'), 2);
    assert.deepEqual(await poolFiles(), []);
  });

  test('cancelling mid-download fails with DEBSTASH_E_CANCELLED, leaves nothing, and closes the connection', async () => {
    // A server of its own, so that idle connections of other tests do not count.
    const own = await FaultServer.start(dir);
    try {
      own.inject('/big', { drip: { bytes: 16 * 1024, everyMs: 30 } });
      const c = new UpstreamClient({ retryBaseDelayMs: 5 });
      const ac = new AbortController();
      const running = c.download(new URL('big', own.url).href, pool, { sha256: sha256(big), size: big.length }, { signal: ac.signal });
      await until(() => own.count('/big') === 1);
      await new Promise((r) => setTimeout(r, 80));
      ac.abort();
      await assert.rejects(running, rejectsWith('DEBSTASH_E_CANCELLED', (e) => assert.match(e.message, /big: cancelled/)));
      assert.deepEqual(await poolFiles(), []);
      assert.deepEqual(await readdir(join(poolDir, '.tmp')), []);
      await until(() => own.openConnections === 0);
      assert.equal(own.count('/big'), 1);
      await c.close();
    } finally {
      await own.close();
    }
  });

  test('cancelling during a retry backoff stops at once', async () => {
    server.inject('/small', { status: 503 });
    const ac = new AbortController();
    const running = client({ retryBaseDelayMs: 10_000, retryMaxDelayMs: 10_000 }).getBuffer(url('small'), { signal: ac.signal });
    await until(() => server.count('/small') === 1);
    const t0 = Date.now();
    ac.abort();
    await assert.rejects(running, rejectsWith('DEBSTASH_E_CANCELLED'));
    assert.ok(Date.now() - t0 < 500);
  });

  test('the concurrency limit is shared by all downloads of a client', async () => {
    server.inject(/^\/f\d$/, { delayMs: 60 });
    const c = client({ concurrency: 3 });
    const files = Array.from({ length: 10 }, (_, i) => Buffer.from(`file ${i}\n`));
    const done = await Promise.all(files.map((b, i) => c.download(url(`f${i}`), pool, { sha256: sha256(b), size: b.length })));
    assert.equal(done.length, 10);
    assert.equal(server.maxInFlight, 3);
    for (const b of files) await pool.delete(sha256(b));
  });

  test('file: URLs read local files, with 404 for missing ones and dates for conditional reads', async () => {
    const c = client();
    const fileUrl = pathToFileURL(join(dir, 'small')).href;
    const r = await c.getBuffer(fileUrl);
    assert.ok(!r.notModified);
    assert.deepEqual(r.body, small);
    await utimes(join(dir, 'small'), new Date('2024-01-01T00:00:00Z'), new Date('2024-01-01T00:00:00Z'));
    assert.deepEqual(await c.getBuffer(fileUrl, { lastModified: 'Mon, 01 Jan 2024 00:00:00 GMT' }), { notModified: true });
    assert.equal((await c.getBuffer(fileUrl, { lastModified: 'Sun, 31 Dec 2023 00:00:00 GMT' })).notModified, false);
    assert.deepEqual(await collect(c.body(pathToFileURL(join(dir, 'big')).href)), big);
    const missing = pathToFileURL(join(dir, 'missing')).href;
    await assert.rejects(c.getBuffer(missing), rejectsWith('DEBSTASH_E_UPSTREAM_HTTP', (e) => assert.equal(e.details.status, 404)));
    await assert.rejects(collect(c.body(missing)), rejectsWith('DEBSTASH_E_UPSTREAM_HTTP', (e) => assert.equal(e.details.status, 404)));
    const entry = await c.download(pathToFileURL(join(dir, 'big')).href, pool, { sha256: sha256(big), size: big.length });
    assert.equal(entry.size, big.length);
    await pool.delete(sha256(big));
  });
});
