/**
 * The published pool as a view of the content-addressed pool, through debstash's own server
 * (startServer) and a real apt; and `publish export`, served by a plain static server.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import type { Context } from '../../src/model/context.js';
import { exportTree } from '../../src/publish/export-tree.js';
import { publishTree } from '../../src/publish/publish-tree.js';
import { type RunningServer, startServer } from '../../src/server/start-server.js';
import type { PackageEntry } from '../../src/store/records.js';
import { FaultServer } from '../helpers/fault-server.js';
import { StoreLocks } from '../../src/model/store-locks.js';
import { IsolatedApt } from '../helpers/isolated-apt.js';
import { rawGet } from '../server/raw-get.js';
import { listTree, publishFixture, sourcesEntry, tryApt, type PublishFixture } from './publish-fixture.js';

let f: PublishFixture;
let server: RunningServer;
const logLines: string[] = [];
let setA: PackageEntry[];
let setB: PackageEntry[];
let doomed: PackageEntry;
let damaged: PackageEntry;

before(async () => {
  f = await publishFixture();
  const hello = await f.deb({ name: 'hello', version: '1.0-1', architecture: 'amd64', depends: 'hello-data' });
  const data = await f.deb({ name: 'hello-data', version: '1.0-1', architecture: 'all' });
  const tool1 = await f.deb({ name: 'tool', version: '1.0', architecture: 'amd64' });
  const tool2 = await f.deb({ name: 'tool', version: '2.0', architecture: 'amd64' });
  doomed = await f.deb({ name: 'doomed', version: '1', architecture: 'amd64' });
  damaged = await f.deb({ name: 'damaged', version: '1', architecture: 'amd64' });
  setA = [hello, data, tool1, doomed, damaged];
  setB = [hello, data, tool2, doomed, damaged];
  const ctx: Context = { dataDir: f.dir, store: f.store, locks: new StoreLocks(f.store), pool: f.pool, indexCacheDir: join(f.dir, 'cache'), publicDir: f.root };
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(...chunk.toString().split('\n').filter((l) => l !== ''));
      done();
    },
  });
  server = await startServer(ctx, { host: '127.0.0.1', port: 0, logger: pino({ level: 'error' }, sink) });
  await publish('view', setA);
});

after(async () => {
  await server?.close(0);
  await f?.close();
});

const publish = (prefix: string, packages: readonly PackageEntry[], keepGenerations = 3): Promise<unknown> =>
  publishTree({
    root: f.root,
    prefix,
    dist: 'stable',
    components: [{ name: 'main', packages }],
    architectures: ['amd64'],
    meta: { origin: 'View' },
    signer: f.signer,
    pool: f.pool,
    store: f.store,
    keepGenerations,
  });

async function withApt<T>(url: string, fn: (apt: IsolatedApt) => Promise<T>): Promise<T> {
  const apt = await IsolatedApt.create(sourcesEntry(url, 'stable', ['main'], f.signer.keyring));
  try {
    return await fn(apt);
  } finally {
    await apt.close();
  }
}

/** The .debs apt downloaded, each checked against the SHA-256 of its record. */
async function downloaded(apt: IsolatedApt, expected: readonly PackageEntry[]): Promise<string[]> {
  const dir = join(apt.dir, 'var/cache/apt/archives');
  const names = (await readdir(dir)).filter((n) => n.endsWith('.deb')).sort();
  for (const e of expected) {
    const name = names.find((n) => n.startsWith(`${e.name}_`));
    assert.ok(name !== undefined, `${e.name} was not downloaded: ${names.join(' ')}`);
    assert.equal(createHash('sha256').update(await readFile(join(dir, name))).digest('hex'), e.files[0].sha256, name);
  }
  return names;
}

test('nothing per package on disk: the pool is rows of the store, which db cleanup keeps', async () => {
  assert.deepEqual((await listTree(join(f.root, 'view'))).filter((p) => p.startsWith('pool/')), []);
  assert.deepEqual(
    (await f.store.poolView('view')).map((v) => v.path),
    ['pool/main/d/damaged/damaged_1_amd64.deb', 'pool/main/d/doomed/doomed_1_amd64.deb', 'pool/main/h/hello-data/hello-data_1.0-1_all.deb', 'pool/main/h/hello/hello_1.0-1_amd64.deb', 'pool/main/t/tool/tool_1.0_amd64.deb'],
  );
  // No mirror, repo or snapshot refers to these files here: only the view does.
  const referenced = await f.store.referencedFiles();
  assert.deepEqual(setA.map((e) => referenced.has(e.files[0].sha256)), setA.map(() => true));
});

test('a real apt-get updates and downloads packages through the view', async () => {
  await withApt(`${server.url}/view/`, async (apt) => {
    const update = await tryApt(apt, 'update');
    assert.ok(update.ok, update.out);
    const install = await tryApt(apt, 'install', '--download-only', '-y', 'hello', 'tool');
    assert.ok(install.ok, install.out);
    await downloaded(apt, setA.slice(0, 3));
  });
});

test('HEAD, Range, a strong ETag (the SHA-256), Last-Modified, 304 and the content type of a view-served file', async () => {
  const e = setA[0];
  const url = `${server.url}/view/pool/main/h/hello/hello_1.0-1_amd64.deb`;
  const bytes = await readFile(f.pool.localPath(e.files[0].sha256));
  // A file is dated once the second it was stored in is over (docs/serving.md): wait for that.
  const stored = Math.floor((await stat(f.pool.localPath(e.files[0].sha256))).ctimeMs / 1000) * 1000;
  await new Promise((r) => setTimeout(r, Math.max(0, stored + 2100 - Date.now())));
  const full = await fetch(url);
  assert.equal(full.status, 200);
  assert.deepEqual(Buffer.from(await full.arrayBuffer()), bytes);
  assert.equal(full.headers.get('etag'), `"${e.files[0].sha256}"`);
  assert.equal(full.headers.get('content-type'), 'application/vnd.debian.binary-package');
  assert.equal(full.headers.get('content-length'), String(bytes.length));
  assert.match(full.headers.get('cache-control') ?? '', /immutable/);
  const lastModified = full.headers.get('last-modified') ?? '';
  assert.equal(lastModified, new Date(stored).toUTCString());

  const head = await fetch(url, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-length'), String(bytes.length));
  assert.equal((await head.arrayBuffer()).byteLength, 0);

  const range = await fetch(url, { headers: { Range: 'bytes=10-19' } });
  assert.equal(range.status, 206);
  assert.equal(range.headers.get('content-range'), `bytes 10-19/${bytes.length}`);
  assert.deepEqual(Buffer.from(await range.arrayBuffer()), bytes.subarray(10, 20));
  assert.equal((await fetch(url, { headers: { Range: `bytes=${bytes.length + 5}-` } })).status, 416);

  assert.equal((await fetch(url, { headers: { 'If-None-Match': `"${e.files[0].sha256}"` } })).status, 304);
  assert.equal((await fetch(url, { headers: { 'If-Modified-Since': new Date(Date.now() + 5000).toUTCString() } })).status, 304);
  assert.equal((await fetch(url, { headers: { 'If-None-Match': '"other"' } })).status, 200);
});

test('a pool path the view does not have is a 404, and hostile spellings of one it has are refused', async () => {
  for (const path of ['/view/pool/main/h/hello/hello_9.9_amd64.deb', '/view/pool/main/h/hello/', '/view/pool/main/t/tool/tool_2.0_amd64.deb', '/pool/main/h/hello/hello_1.0-1_amd64.deb', '/other/pool/main/h/hello/hello_1.0-1_amd64.deb']) {
    assert.equal((await rawGet(server.url, path)).status, 404, path);
  }
  for (const path of ['/view/pool/main/h/x/../hello/hello_1.0-1_amd64.deb', '/view/pool/main/h/hello/%2e%2e/hello/hello_1.0-1_amd64.deb', '/view/pool/main/h/hello/.hello_1.0-1_amd64.deb', '/view/pool\\main\\h\\hello\\hello_1.0-1_amd64.deb']) {
    const r = await rawGet(server.url, path);
    assert.ok(r.status === 400 || r.status === 404, `${path}: ${r.status}`);
  }
});

test('apt keeps getting the files of the generation it read while publishes switch', async () => {
  await withApt(`${server.url}/view/`, async (apt) => {
    const update = await tryApt(apt, 'update');
    assert.ok(update.ok, update.out);
    // apt read set A (tool 1.0); switches to B and back happen while it downloads, and once
    // more before: tool 1.0 is in a kept generation all along.
    await publish('view', setB);
    let switching = true;
    const switches = (async () => {
      for (let i = 0; i < 6 && switching; i++) await publish('view', i % 2 === 0 ? setA : setB);
    })();
    const install = await tryApt(apt, 'install', '--download-only', '-y', 'hello', 'tool');
    switching = false;
    await switches;
    assert.ok(install.ok, install.out);
    await downloaded(apt, [setA[0], setA[1], setA[2]]);
  });
});

test('a pool file missing or damaged is a 500 and a coded log line, never a 200 of other bytes', async () => {
  const gone = `${server.url}/view/pool/main/d/doomed/doomed_1_amd64.deb`;
  const bad = `${server.url}/view/pool/main/d/damaged/damaged_1_amd64.deb`;
  assert.equal((await fetch(bad)).status, 200, 'served while intact');
  await unlink(f.pool.localPath(doomed.files[0].sha256));
  const file = f.pool.localPath(damaged.files[0].sha256);
  const bytes = await readFile(file);
  bytes[bytes.length - 1] ^= 0xff;
  await writeFile(file, bytes); // the same size, other bytes, a new mtime
  for (const [url, sha256] of [[gone, doomed.files[0].sha256], [bad, damaged.files[0].sha256]] as const) {
    for (const init of [{}, { headers: { Range: 'bytes=0-9' } }, { method: 'HEAD' }]) {
      const r = await fetch(url, init);
      assert.equal(r.status, 500, `${url} ${JSON.stringify(init)}`);
      await r.arrayBuffer();
    }
    const lines = logLines.map((l) => JSON.parse(l) as { code?: string; sha256?: string; expected?: string });
    const line = lines.find((l) => l.sha256 === sha256 || (l.expected?.includes(sha256) ?? false));
    // Missing: the view leads nowhere; present with other bytes: the tree is damaged.
    assert.equal(line?.code, sha256 === doomed.files[0].sha256 ? 'DEBSTASH_E_POOL_VIEW_BROKEN' : 'DEBSTASH_E_TREE_DAMAGED');
  }
});

test('publish export: a plain tree served by a static server, consumed by apt; again only what changed, dists last', async () => {
  await publish('exp', setA.slice(0, 3));
  const dest = join(f.dir, 'export');
  const first = await exportTree({ root: f.root, prefix: 'exp', dest, store: f.store, pool: f.pool });
  assert.deepEqual(first.pool, { placed: 3, copied: 0, kept: 0, removed: 0 });
  const hello = await stat(join(dest, 'pool/main/h/hello/hello_1.0-1_amd64.deb'));
  assert.equal(hello.ino, (await stat(f.pool.localPath(setA[0].files[0].sha256))).ino, 'a hard link into the pool');
  assert.deepEqual((await listTree(dest)).filter((p) => p.includes('.debstash')), []);

  const plain = await FaultServer.start(dest);
  try {
    await withApt(plain.url, async (apt) => {
      const update = await tryApt(apt, 'update');
      assert.ok(update.ok, update.out);
      const install = await tryApt(apt, 'install', '--download-only', '-y', 'hello', 'tool');
      assert.ok(install.ok, install.out);
      await downloaded(apt, setA.slice(0, 3));
    });

    const again = await exportTree({ root: f.root, prefix: 'exp', dest, store: f.store, pool: f.pool });
    assert.deepEqual(again.pool, { placed: 0, copied: 0, kept: 3, removed: 0 });
    assert.equal(again.dists.written, 0);

    // Switched to B with one generation kept: tool 1.0 leaves the view and the export, after
    // the Release files that no longer name it.
    await publish('exp', setB.slice(0, 3), 1);
    const third = await exportTree({ root: f.root, prefix: 'exp', dest, store: f.store, pool: f.pool });
    assert.deepEqual(third.pool, { placed: 1, copied: 0, kept: 2, removed: 1 });
    assert.ok(third.dists.written > 0 && third.dists.removed > 0, JSON.stringify(third.dists));
    assert.deepEqual(await readFile(join(dest, 'dists/stable/InRelease')), await readFile(join(f.root, 'exp/dists/stable/InRelease')));
    await withApt(plain.url, async (apt) => {
      const update = await tryApt(apt, 'update');
      assert.ok(update.ok, update.out);
      const install = await tryApt(apt, 'install', '--download-only', '-y', 'tool');
      assert.ok(install.ok, install.out);
      await downloaded(apt, [setB[2]]);
    });
  } finally {
    await plain.close();
  }
});
