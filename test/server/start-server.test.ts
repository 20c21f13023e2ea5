import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { closeContext, type Context, openEmbeddedContext } from '../../src/model/context.js';
import { type RunningServer, startServer } from '../../src/server/start-server.js';

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** A raw request: the path goes on the wire as given, so encoded tricks reach the server. */
function get(base: string, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method, headers }, (res) => {
      let body = '';
      res.setEncoding('latin1').on('data', (s: string) => (body += s));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('serve: the APT tree over HTTP', () => {
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
    await writeFile(join(dir, 'secret.txt'), 'outside the tree');
    await symlink(join(dir, 'secret.txt'), join(root, 'dists/stable/leak'));
    await symlink('../../../secret.txt', join(root, 'pool/main/h/relative-leak'));
    server = await startServer(ctx, { host: '127.0.0.1', port: 0 });
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

  const HOSTILE = [
    '/../secret.txt',
    '/..%2fsecret.txt',
    '/%2e%2e/secret.txt',
    '/%2E%2E/%2E%2E/etc/passwd',
    '/pool/../../secret.txt',
    '/pool/%2e%2e/%2e%2e/secret.txt',
    '/pool/main/..%2f..%2f..%2fsecret.txt',
    '/dists/stable/InRelease%00.deb',
    '/dists/stable/%00',
    '/pool\\..\\..\\secret.txt',
    '/pool/%5c..%5c..%5csecret.txt',
    '/dists/stable/leak',
    '/pool/main/h/relative-leak',
    '/./dists/stable/InRelease',
    '/dists/./stable/InRelease',
    '/%',
    '/%zz',
    '/.git/config',
    '/dists/.hidden',
    '/etc/passwd',
    '//etc/passwd',
    '/dists/stable/main',
    '/pool/',
  ];
  for (const path of HOSTILE) {
    test(`refuses ${path}`, async () => {
      const r = await get(server.url, path);
      assert.ok(r.status === 400 || r.status === 404, `${path}: ${r.status}`);
      assert.doesNotMatch(r.body, /outside the tree|root:/);
    });
  }

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
