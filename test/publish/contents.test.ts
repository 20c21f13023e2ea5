import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { parseRelease } from '../../src/deb/release.js';
import type { Pool } from '../../src/pool/pool.js';
import { ContentsCache } from '../../src/publish/contents-cache.js';
import { publishTree, type PublishTreeOptions, type PublishTreeResult } from '../../src/publish/publish-tree.js';
import type { PackageEntry } from '../../src/store/records.js';
import { publishFixture, type PublishFixture } from './publish-fixture.js';

let f: PublishFixture;
let entries: PackageEntry[];
/** How many times each publish opened a pool file (a .deb read for its file list). */
let opened = 0;
const dist = 'stable';
const distDir = (): string => join(f.root, 'debian', 'dists', dist);
const cacheDir = (): string => join(f.dir, 'cache', 'contents');

function countingPool(pool: Pool): Pool {
  return new Proxy(pool, {
    get(target, prop, receiver) {
      if (prop === 'open') {
        return (...args: Parameters<Pool['open']>) => {
          opened++;
          return target.open(...args);
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function publishWith(packages: readonly PackageEntry[], cache: ContentsCache, more: Partial<PublishTreeOptions> = {}): Promise<PublishTreeResult> {
  return publishTree({
    root: f.root,
    prefix: 'debian',
    dist,
    components: [{ name: 'main', packages }],
    architectures: ['amd64', 'arm64'],
    meta: { origin: 'Debstash Test' },
    signer: f.signer,
    store: f.store,
    pool: f.pool,
    contents: cache,
    ...more,
  });
}

/** Contents lines expected from `dpkg-deb -c` of each package file (directories left out). */
function expectedContents(debs: readonly { path: string; qualified: string }[]): string {
  const owners = new Map<string, string[]>();
  for (const d of debs) {
    for (const line of execFileSync('dpkg-deb', ['-c', d.path], { encoding: 'utf8' }).split('\n')) {
      if (line === '' || line.startsWith('d')) continue;
      const path = (/\s\.\/(.*?)(?: -> .*)?$/.exec(line) as RegExpExecArray)[1] as string;
      owners.set(path, [...(owners.get(path) ?? []), d.qualified]);
    }
  }
  return [...owners.keys()]
    .sort()
    .map((p) => `${p.padEnd(55)} ${(owners.get(p) as string[]).sort((a, b) => (a.split('/').pop() as string).localeCompare(b.split('/').pop() as string)).join(',')}\n`)
    .join('');
}

before(async () => {
  f = await publishFixture();
  entries = [
    await f.deb({ name: 'hello', version: '1.0-1', architecture: 'amd64', extraFields: { Section: 'utils' }, files: { 'usr/bin/hello': '#!/bin/sh\n', 'usr/share/doc/hello/README': 'hi\n' } }),
    await f.deb({ name: 'hello-data', version: '1.0-1', architecture: 'all', extraFields: { Section: 'misc' }, files: { 'usr/share/hello/data.txt': 'data\n', 'usr/share/doc/hello/README': 'hi\n' } }),
    await f.deb({ name: 'arm-only', version: '2', architecture: 'arm64', files: { 'usr/lib/arm-only/lib.so': 'x' } }),
  ];
});

after(async () => {
  await f?.close();
});

test('Contents-ARCH.gz: what dpkg-deb -c lists, in Debian format, in Release and by-hash', async () => {
  opened = 0;
  const cache = new ContentsCache(cacheDir(), countingPool(f.pool));
  const result = await publishWith(entries, cache);
  assert.deepEqual(
    result.contents.map((c) => c.path),
    ['main/Contents-amd64.gz', 'main/Contents-arm64.gz'],
  );
  assert.deepEqual(cache.stats, { cached: 0, read: 3 }, 'each .deb read once, even the one in two indexes');
  assert.equal(opened, 3);

  const debs = (name: string): string => execFileSync('find', [f.dir, '-name', `${name}_*.deb`, '-path', '*/debs/*'], { encoding: 'utf8' }).trim();
  const amd64 = gunzipSync(await readFile(join(distDir(), 'main/Contents-amd64.gz'))).toString('utf8');
  assert.equal(amd64, expectedContents([{ path: debs('hello'), qualified: 'utils/hello' }, { path: debs('hello-data'), qualified: 'misc/hello-data' }]));
  assert.match(amd64, /^usr\/share\/doc\/hello\/README +utils\/hello,misc\/hello-data$/m);
  const arm64 = gunzipSync(await readFile(join(distDir(), 'main/Contents-arm64.gz'))).toString('utf8');
  assert.equal(arm64, expectedContents([{ path: debs('arm-only'), qualified: 'arm-only' }, { path: debs('hello-data'), qualified: 'misc/hello-data' }]));

  const release = parseRelease(await readFile(join(distDir(), 'Release'), 'utf8'));
  for (const c of result.contents) {
    const listed = release.sha256.get(c.path);
    assert.equal(listed?.sha256, c.sha256);
    const file = join(distDir(), c.path);
    execFileSync('gzip', ['-t', file]);
    const sha512 = release.sha512?.get(c.path)?.sha512 as string;
    assert.ok(sha512);
    for (const byHash of [`main/by-hash/SHA256/${c.sha256}`, `main/by-hash/SHA512/${sha512}`]) {
      assert.deepEqual(await readFile(join(distDir(), byHash)), await readFile(file), byHash);
    }
  }
});

test('a second publish reads no .deb: file lists come from the cache; one new package is read alone', async () => {
  opened = 0;
  const again = new ContentsCache(cacheDir(), countingPool(f.pool));
  const same = await publishWith(entries, again);
  assert.deepEqual(again.stats, { cached: 3, read: 0 });
  assert.equal(opened, 0, 'no pool file opened');
  assert.ok(same.unchanged);
  assert.ok(same.contents.every((c) => c.unchanged));

  const added = await f.deb({ name: 'zz-new', version: '1', architecture: 'amd64', files: { 'usr/bin/zz-new': 'z' } });
  const third = new ContentsCache(cacheDir(), countingPool(f.pool));
  const grown = await publishWith([...entries, added], third);
  assert.deepEqual(third.stats, { cached: 3, read: 1 });
  assert.equal(opened, 1);
  assert.deepEqual(
    grown.contents.map((c) => [c.path, c.unchanged]),
    [
      ['main/Contents-amd64.gz', false],
      ['main/Contents-arm64.gz', true],
    ],
  );
  const amd64 = gunzipSync(await readFile(join(distDir(), 'main/Contents-amd64.gz'))).toString('utf8');
  assert.match(amd64, /^usr\/bin\/zz-new +zz-new$/m);
});

test('a damaged cached list is read again from the .deb', async () => {
  const sha = entries[0]?.files[0]?.sha256 as string;
  await writeFile(join(cacheDir(), sha.slice(0, 2), sha), '{"not": "a list"');
  const cache = new ContentsCache(cacheDir(), f.pool);
  assert.deepEqual([...(await cache.pathsOf(sha, 'hello'))].sort(), ['usr/bin/hello', 'usr/share/doc/hello/README']);
  assert.deepEqual(cache.stats, { cached: 0, read: 1 });
});

test('without the option no Contents is written, and the old ones leave the tree', async () => {
  const result = await publishWith(entries, new ContentsCache(cacheDir(), f.pool), { contents: undefined });
  assert.deepEqual(result.contents, []);
  const release = parseRelease(await readFile(join(distDir(), 'Release'), 'utf8'));
  assert.ok(![...release.sha256.keys()].some((p) => p.includes('Contents')));
  assert.deepEqual((await readdir(join(distDir(), 'main'))).filter((n) => n.startsWith('Contents')), []);
});
