import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { link, mkdir, mkdtemp, rename, rm, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { closeContext, type Context, openEmbeddedContext } from '../../src/model/context.js';
import { DEFAULT_FILE_CACHE, type FileCacheOptions } from '../../src/server/file-cache.js';
import { type RunningServer, startServer } from '../../src/server/start-server.js';
import { rawGet as get, type Reply } from './raw-get.js';

/** Waits until every file written so far may be given a Last-Modified (see lastModifiedSecond). */
async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 2000 + 1000 - (Date.now() % 1000) + 50));
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
/** The RFC 850 form of an HTTP-date: "Sunday, 06-Nov-94 08:49:37 GMT". */
function rfc850(ms: number): string {
  const d = new Date(ms);
  const [, day, mon, year, time] = d.toUTCString().split(' ');
  return `${WEEKDAYS[d.getUTCDay()] ?? ''}, ${day}-${mon}-${year?.slice(2)} ${time} GMT`;
}

/** The asctime form of an HTTP-date: "Sun Nov  6 08:49:37 1994". */
function asctime(ms: number): string {
  const d = new Date(ms);
  const [wd, , mon] = d.toUTCString().split(' ');
  const day = String(d.getUTCDate()).padStart(2, ' ');
  return `${wd?.slice(0, 3)} ${mon} ${day} ${d.toISOString().slice(11, 19)} ${d.getUTCFullYear()}`;
}

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
    // Last-Modified is only given once the second of a file's last change (its ctime, which no
    // utimes can backdate) is over, with a margin (see lastModifiedSecond).
    await settle();
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

  test('a name switched within the second of a client\'s copy is never a 304', async () => {
    const name = join(ctx.publicDir, 'dists/stable/fresh');
    await writeFile(name, 'first');
    const first = await get(server.url, '/dists/stable/fresh');
    assert.equal(first.body, 'first');
    // Too recent to be dated: a later switch could fall within the same second.
    assert.equal(first.headers['last-modified'], undefined);
    await writeFile(`${name}.new`, 'second');
    await rename(`${name}.new`, name);
    // Whatever date the client sends (its own clock, the Date it was given), it gets the new file.
    for (const ims of [new Date().toUTCString(), String(first.headers.date), new Date(Date.now() + 3_600_000).toUTCString()]) {
      const r = await get(server.url, '/dists/stable/fresh', { 'If-Modified-Since': ims });
      assert.equal(r.status, 200, ims);
      assert.equal(r.body, 'second');
    }
  });

  test('a switch back to an older file (older mtime) is never a 304 to a client of the newer one', async () => {
    // As a publish does: plain index names are hard links to by-hash/ files, and a switch
    // back to an earlier snapshot links the earlier (older) file over the name again.
    const dir = join(ctx.publicDir, 'dists/stable/main/binary-amd64');
    const [older, newer, plain] = [join(dir, 'by-hash/SHA256/older'), join(dir, 'by-hash/SHA256/newer'), join(dir, 'Packages')];
    await writeFile(older, 'Package: a\nVersion: 1\n');
    await writeFile(newer, 'Package: a\nVersion: 2\n');
    await utimes(older, new Date(Date.now() - 7_200_000), new Date(Date.now() - 7_200_000));
    await utimes(newer, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
    const linkOver = async (src: string): Promise<void> => {
      await link(src, `${plain}.tmp`);
      await rename(`${plain}.tmp`, plain);
    };
    await linkOver(newer);
    await settle();
    const copy = await get(server.url, '/dists/stable/main/binary-amd64/Packages');
    assert.equal(copy.body, 'Package: a\nVersion: 2\n');
    const lastModified = String(copy.headers['last-modified']);
    assert.ok(Date.parse(lastModified) > Date.now() - 60_000, 'dated by the link, not by the file\'s old mtime');
    assert.equal((await get(server.url, '/dists/stable/main/binary-amd64/Packages', { 'If-Modified-Since': lastModified })).status, 304);

    await linkOver(older);
    const after = await get(server.url, '/dists/stable/main/binary-amd64/Packages', { 'If-Modified-Since': lastModified });
    assert.equal(after.status, 200);
    assert.equal(after.body, 'Package: a\nVersion: 1\n');
    await settle();
    // Settled, the older file has a date after the client's copy: still a 200, never a 304.
    const later = await get(server.url, '/dists/stable/main/binary-amd64/Packages', { 'If-Modified-Since': lastModified });
    assert.equal(later.status, 200);
    assert.ok(Date.parse(String(later.headers['last-modified'])) > Date.parse(lastModified));
  });

  test('If-Modified-Since equal to Last-Modified is a 304; If-None-Match, when sent, decides instead', async () => {
    const path = '/dists/stable/InRelease';
    const first = await get(server.url, path);
    const etag = String(first.headers.etag);
    const lastModified = String(first.headers['last-modified']);
    assert.match(lastModified, /GMT$/);
    const at = Date.parse(lastModified);
    const date = (ms: number): string => new Date(ms).toUTCString();
    const status = async (headers: Record<string, string>): Promise<number> => (await get(server.url, path, headers)).status;

    const notModified = await get(server.url, path, { 'If-Modified-Since': lastModified });
    assert.equal(notModified.status, 304);
    assert.equal(notModified.body, '');
    assert.equal(notModified.headers.etag, etag);
    assert.equal(notModified.headers['last-modified'], lastModified);
    assert.equal(await status({ 'If-Modified-Since': date(at + 1000) }), 304);
    assert.equal(await status({ 'If-Modified-Since': date(at - 1000) }), 200);
    // The obsolete forms a recipient must accept; garbage and a second header are no date.
    assert.equal(await status({ 'If-Modified-Since': rfc850(at) }), 304);
    assert.equal(await status({ 'If-Modified-Since': asctime(at) }), 304);
    assert.equal(await status({ 'If-Modified-Since': 'yesterday' }), 200);
    assert.equal(await status({ 'If-Modified-Since': '"2099"' }), 200);

    // RFC 9110 13.2.2: If-None-Match decides; If-Modified-Since is then not evaluated.
    assert.equal(await status({ 'If-None-Match': '"other"', 'If-Modified-Since': lastModified }), 200);
    assert.equal(await status({ 'If-None-Match': etag, 'If-Modified-Since': date(at - 86_400_000) }), 304);
    assert.equal(await status({ 'If-None-Match': `"other", W/${etag}` }), 304, 'weak comparison');
    assert.equal(await status({ 'If-None-Match': '*' }), 304);
  });

  test('If-Range: the strong tag or the exact Last-Modified gives the range, anything else the whole file', async () => {
    const first = await get(server.url, `/${POOL_FILE}`);
    const etag = String(first.headers.etag);
    const lastModified = String(first.headers['last-modified']);
    const ranged = async (ifRange: string): Promise<Reply> => get(server.url, `/${POOL_FILE}`, { Range: 'bytes=990-', 'If-Range': ifRange });
    for (const same of [etag, lastModified, asctime(Date.parse(lastModified))]) {
      const r = await ranged(same);
      assert.equal(r.status, 206, same);
      assert.equal(r.body, '0123456789');
      assert.equal(r.headers['content-range'], 'bytes 990-999/1000');
    }
    // apt resumes a partial download with If-Range set to its file's date: a later or
    // earlier date is another version, as is a weak tag (never usable for ranges).
    for (const other of [new Date(Date.parse(lastModified) + 1000).toUTCString(), new Date(Date.parse(lastModified) - 1000).toUTCString(), `W/${etag}`, '"stale"']) {
      const r = await ranged(other);
      assert.equal(r.status, 200, other);
      assert.equal(r.body.length, 1000);
    }
  });

  test('a single range gives 206, a bad one 416', async () => {
    const part = await get(server.url, `/${POOL_FILE}`, { Range: 'bytes=10-19' });
    assert.equal(part.status, 206);
    assert.equal(part.body, '0123456789');
    assert.equal(part.headers['content-range'], 'bytes 10-19/1000');
    assert.equal((await get(server.url, `/${POOL_FILE}`, { Range: 'bytes=-5' })).body, '56789');
    const bad = await get(server.url, `/${POOL_FILE}`, { Range: 'bytes=5000-' });
    assert.equal(bad.status, 416);
    assert.equal(bad.headers['content-range'], 'bytes */1000');
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
