import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { closeContext, type Context, openEmbeddedContext } from '../../src/model/context.js';
import { DEFAULT_FILE_CACHE, type FileCacheOptions } from '../../src/server/file-cache.js';
import { type RunningServer, startServer } from '../../src/server/start-server.js';
import { rawGet as get } from './raw-get.js';

/** The same answers whether a file comes from disk or from the cache of hot files. */
const MODES: readonly (readonly [string, FileCacheOptions])[] = [
  ['hot files in memory', DEFAULT_FILE_CACHE],
  ['no cache', { ...DEFAULT_FILE_CACHE, budgetBytes: 0 }],
];

for (const [mode, fileCache] of MODES) describe(`serve: the APT tree over HTTP (${mode})`, () => {
  let dir: string;
  let ctx: Context;
  let server: RunningServer;
  const POOL_FILE = 'pool/main/h/hello/hello_1.0_amd64.deb';
  const CONTENT = Buffer.from('0123456789'.repeat(100));

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'debstash-serve-'));
    ctx = await openEmbeddedContext(join(dir, 'data'));
    const root = ctx.publicDir;
    await mkdir(join(root, 'pool/main/h/hello'), { recursive: true });
    await mkdir(join(root, 'dists/stable/main/binary-amd64/by-hash/SHA256'), { recursive: true });
    await writeFile(join(root, POOL_FILE), CONTENT);
    await writeFile(join(root, 'dists/stable/InRelease'), 'signed release\n');
    await writeFile(join(root, 'dists/stable/main/binary-amd64/Packages.xz'), 'xz bytes');
    // Files of a past second: Last-Modified is only given for those (see serveFile).
    const past = new Date(Date.now() - 120_000);
    for (const f of [POOL_FILE, 'dists/stable/InRelease', 'dists/stable/main/binary-amd64/Packages.xz']) await utimes(join(root, f), past, past);
    server = await startServer(ctx, { host: '127.0.0.1', port: 0, fileCache });
  });
  after(async () => {
    await server.close();
    await closeContext(ctx);
    await rm(dir, { recursive: true, force: true });
  });

  test('GET and HEAD with length, type and cache policy', async () => {
    const r = await get(server.url, `/${POOL_FILE}`);
    assert.equal(r.status, 200);
    assert.equal(r.body, CONTENT.toString('latin1'));
    assert.equal(r.headers['content-type'], 'application/vnd.debian.binary-package');
    assert.equal(r.headers['content-length'], '1000');
    assert.match(String(r.headers['cache-control']), /immutable/);
    const head = await get(server.url, '/dists/stable/InRelease', {}, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.equal(head.headers['cache-control'], 'no-cache');
    assert.equal(head.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal((await get(server.url, '/dists/stable/main/binary-amd64/Packages.xz')).headers['content-type'], 'application/x-xz');
  });

  test('a file replaced within the second of a client\'s copy is never a 304', async () => {
    const now = new Date();
    await writeFile(join(ctx.publicDir, 'dists/stable/fresh'), 'new');
    const r = await get(server.url, '/dists/stable/fresh', { 'If-Modified-Since': now.toUTCString() });
    assert.equal(r.status, 200);
    // Echoing the file's own Last-Modified proves nothing within that second either.
    const again = await get(server.url, '/dists/stable/fresh', { 'If-Modified-Since': String(r.headers['last-modified']) });
    assert.equal(again.status, 200);
  });

  test('ETag and Last-Modified give 304; a single range gives 206, a bad one 416', async () => {
    const first = await get(server.url, `/${POOL_FILE}`);
    const etag = String(first.headers.etag);
    assert.equal((await get(server.url, `/${POOL_FILE}`, { 'If-None-Match': etag })).status, 304);
    const later = new Date(Date.parse(String(first.headers['last-modified'])) + 1000).toUTCString();
    assert.equal((await get(server.url, `/${POOL_FILE}`, { 'If-Modified-Since': later })).status, 304);
    assert.equal((await get(server.url, `/${POOL_FILE}`, { 'If-Modified-Since': new Date(Date.parse(later) - 2000).toUTCString() })).status, 200);
    const part = await get(server.url, `/${POOL_FILE}`, { Range: 'bytes=10-19' });
    assert.equal(part.status, 206);
    assert.equal(part.body, '0123456789');
    assert.equal(part.headers['content-range'], 'bytes 10-19/1000');
    assert.equal((await get(server.url, `/${POOL_FILE}`, { Range: 'bytes=-5' })).body, '56789');
    const bad = await get(server.url, `/${POOL_FILE}`, { Range: 'bytes=5000-' });
    assert.equal(bad.status, 416);
    assert.equal(bad.headers['content-range'], 'bytes */1000');
    assert.equal((await get(server.url, `/${POOL_FILE}`, { Range: 'bytes=0-1', 'If-Range': '"stale"' })).status, 200);
  });

  test('a name replaced by rename is served new at the very next request', async () => {
    const name = join(ctx.publicDir, 'dists/stable/Release');
    await writeFile(name, 'generation 1\n');
    for (let i = 0; i < 3; i++) assert.equal((await get(server.url, '/dists/stable/Release')).body, 'generation 1\n');
    const old = await get(server.url, '/dists/stable/Release');
    await writeFile(`${name}.new`, 'generation 2, longer\n');
    await rename(`${name}.new`, name);
    const r = await get(server.url, '/dists/stable/Release', { 'If-None-Match': String(old.headers.etag) });
    assert.equal(r.status, 200);
    assert.equal(r.body, 'generation 2, longer\n');
    assert.notEqual(r.headers.etag, old.headers.etag);
    await unlink(name);
    assert.equal((await get(server.url, '/dists/stable/Release')).status, 404);
  });

  test('a file above the eager size: whole, by range, by HEAD, to concurrent clients', async () => {
    const big = randomBytes(700 * 1024);
    await mkdir(join(ctx.publicDir, 'pool/main/b/big'), { recursive: true });
    await writeFile(join(ctx.publicDir, 'pool/main/b/big/big_1_all.deb'), big);
    const path = '/pool/main/b/big/big_1_all.deb';
    // The first request streams it, the second reads it into memory once for all who ask.
    const all = await Promise.all([get(server.url, path), ...Array.from({ length: 6 }, () => get(server.url, path))]);
    for (const r of all) assert.ok(Buffer.from(r.body, 'latin1').equals(big));
    const again = await get(server.url, path);
    assert.ok(Buffer.from(again.body, 'latin1').equals(big));
    assert.equal(again.headers['content-length'], String(big.length));
    const part = await get(server.url, path, { Range: 'bytes=300000-300099' });
    assert.equal(part.status, 206);
    assert.ok(Buffer.from(part.body, 'latin1').equals(big.subarray(300000, 300100)));
    const head = await get(server.url, path, {}, 'HEAD');
    assert.equal(head.body, '');
    assert.equal(head.headers['content-length'], String(big.length));
    assert.equal(head.headers.etag, again.headers.etag);
  });

  test('an empty file is a 200 with no body', async () => {
    await writeFile(join(ctx.publicDir, 'dists/stable/empty'), '');
    for (let i = 0; i < 2; i++) {
      const r = await get(server.url, '/dists/stable/empty');
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-length'], '0');
    }
  });

  test('every answer carries a request id', async () => {
    const ids = new Set<string>();
    for (const path of ['/dists/stable/InRelease', '/dists/stable/InRelease', '/nothing', '/%zz', '/healthz', '/api/x']) {
      const id = (await get(server.url, path)).headers['x-request-id'];
      assert.equal(typeof id, 'string', path);
      ids.add(String(id));
    }
    assert.equal(ids.size, 6);
    assert.equal((await get(server.url, '/healthz', { 'X-Request-Id': 'from-the-proxy.1' })).headers['x-request-id'], 'from-the-proxy.1');
    assert.notEqual((await get(server.url, '/healthz', { 'X-Request-Id': 'no spaces <allowed>' })).headers['x-request-id'], 'no spaces <allowed>');
  });

  test('only GET and HEAD', async () => {
    const r = await get(server.url, '/dists/stable/InRelease', {}, 'PUT');
    assert.equal(r.status, 405);
    assert.equal(r.headers.allow, 'GET, HEAD');
  });

  test('/healthz answers; /readyz is 503 until something is published', async () => {
    assert.equal((await get(server.url, '/healthz')).status, 200);
    const ready = await get(server.url, '/readyz');
    assert.equal(ready.status, 503);
    assert.match(ready.body, /nothing is published yet/);
    assert.equal((await get(server.url, '/client/stable.sources')).status, 404);
    assert.equal((await get(server.url, '/key.asc')).status, 404);
  });
});
