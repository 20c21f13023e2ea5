import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { parseRelease, type ReleaseFile } from '../../src/deb/release.js';
import { fetchIndex } from '../../src/upstream/fetch-index.js';
import type { UpstreamClient } from '../../src/upstream/http-client.js';
import { rejectsWith } from '../helpers/coded-error.js';
import { FaultServer } from '../helpers/fault-server.js';
import { compress, sha256Hex, writeSignedDist } from '../helpers/signed-dist.js';
import { SignedUpstream } from '../helpers/signed-upstream.js';

async function text(it: AsyncIterable<Uint8Array>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(Buffer.from(c));
  return Buffer.concat(parts).toString('utf8');
}

describe('fetchIndex', () => {
  let up: SignedUpstream;
  let server: FaultServer;
  let client: UpstreamClient;
  let cacheDir: string;
  const packages = Array.from({ length: 2000 }, (_, i) => `Package: pkg${i}\nVersion: 1.${i}\nArchitecture: amd64\n`).join('\n');
  const P = 'main/binary-amd64/Packages';
  let xz: Buffer;
  let gz: Buffer;
  let release: ReleaseFile;

  before(async () => {
    up = await SignedUpstream.start('debstash-index-', { retryBaseDelayMs: 5, retryMaxDelayMs: 20 });
    ({ server, client } = up);
    const key = await up.gpg.generateKey('Index Archive <index@example.invalid>', 'ed25519');
    cacheDir = await mkdtemp(join(tmpdir(), 'debstash-index-cache-'));
    xz = compress(Buffer.from(packages), '.xz');
    gz = compress(Buffer.from(packages), '.gz');
    const dist = await writeSignedDist(up.root, 'test', { [P]: Buffer.from(packages), [`${P}.xz`]: xz, [`${P}.gz`]: gz }, { gpg: up.gpg, signer: key });
    release = parseRelease(dist.release, { source: 'test Release' });
  });
  afterEach(() => up.reset());
  after(async () => {
    await up.close();
    await rm(cacheDir, { recursive: true, force: true });
  });

  const byHash = (b: Buffer): string => `/dists/test/main/binary-amd64/by-hash/SHA256/${sha256Hex(b)}`;
  const plain = `/dists/test/${P}.xz`;

  test('fetches the xz variant by hash and streams its text', async () => {
    const got = await fetchIndex(P, { client, baseUrl: server.url, dist: 'test', release });
    assert.equal(got.variant.path, `${P}.xz`);
    assert.equal(got.variant.compression, 'xz');
    assert.equal(got.fromCache, false);
    assert.equal(await text(got.text), packages);
    assert.equal(got.from, new URL(byHash(xz), server.url).href);
    assert.equal(server.count(byHash(xz)), 1);
    assert.equal(server.count(plain), 0);
  });

  test('falls back to the plain path when by-hash is 404', async () => {
    server.inject(FaultServer.BY_HASH, { status: 404 });
    const got = await fetchIndex(P, { client, baseUrl: server.url, dist: 'test', release });
    assert.equal(await text(got.text), packages);
    assert.equal(got.from, new URL(plain, server.url).href);
    assert.deepEqual(
      server.requests.map((r) => r.path),
      [byHash(xz), plain],
    );
  });

  test('uses the plain path without Acquire-By-Hash, and takes gz when xz is not listed', async () => {
    const noXz = parseRelease(
      `Date: ${new Date().toUTCString()}\nSHA256:\n ${sha256Hex(gz)} ${gz.length} ${P}.gz\n ${sha256Hex(Buffer.from(packages))} ${packages.length} ${P}\n`,
      { source: 'R' },
    );
    const got = await fetchIndex(P, { client, baseUrl: server.url, dist: 'test', release: noXz });
    assert.equal(got.variant.compression, 'gzip');
    assert.equal(await text(got.text), packages);
    assert.deepEqual(
      server.requests.map((r) => r.path),
      [`/dists/test/${P}.gz`],
    );
  });

  test('an index whose bytes differ from the Release is DEBSTASH_E_INDEX_HASH_MISMATCH', async () => {
    const other = compress(Buffer.from(packages.replace('pkg1\n', 'evil\n')), '.xz');
    server.inject(/Packages\.xz$|by-hash/, { body: other });
    const got = await fetchIndex(P, { client, baseUrl: server.url, dist: 'test', release });
    await assert.rejects(text(got.text), rejectsWith('DEBSTASH_E_INDEX_HASH_MISMATCH', new RegExp(`by-hash/SHA256/${sha256Hex(xz)}: expected ${xz.length} bytes with SHA-256`)));
  });

  test('same-size corrupted bytes are a hash mismatch, not merely corrupt xz', async () => {
    const corrupt = Buffer.from(xz);
    corrupt[Math.floor(corrupt.length / 2)] ^= 0xff;
    server.inject(/Packages\.xz$|by-hash/, { body: corrupt });
    const got = await fetchIndex(P, { client, baseUrl: server.url, dist: 'test', release });
    await assert.rejects(text(got.text), rejectsWith('DEBSTASH_E_INDEX_HASH_MISMATCH', new RegExp(`got SHA-256 ${sha256Hex(corrupt)}$`)));
  });

  test('an index the Release does not list is DEBSTASH_E_INDEX_MISSING, fetching nothing', async () => {
    await assert.rejects(fetchIndex('main/binary-arm64/Packages', { client, baseUrl: server.url, dist: 'test', release }), rejectsWith('DEBSTASH_E_INDEX_MISSING', /main\/binary-arm64\/Packages/));
    await assert.rejects(fetchIndex('../../etc/Packages', { client, baseUrl: server.url, dist: 'test', release }), rejectsWith('DEBSTASH_E_UNSAFE_PATH'));
    assert.equal(server.requests.length, 0);
  });

  test('with a cache directory: stored by hash, then read without a download', async () => {
    const first = await fetchIndex(P, { client, baseUrl: server.url, dist: 'test', release, cacheDir });
    assert.equal(first.fromCache, false);
    assert.equal(await text(first.text), packages);
    const cached = join(cacheDir, sha256Hex(xz));
    assert.deepEqual(await readFile(cached), xz);
    assert.deepEqual(await readdir(cacheDir), [sha256Hex(xz)]);
    assert.equal(server.requests.length, 1);

    const second = await fetchIndex(P, { client, baseUrl: server.url, dist: 'test', release, cacheDir });
    assert.equal(second.fromCache, true);
    assert.equal(second.from, cached);
    assert.equal(await text(second.text), packages);
    assert.equal(server.requests.length, 1);
  });

  test('a damaged cache file is fetched again', async () => {
    const cached = join(cacheDir, sha256Hex(xz));
    await writeFile(cached, Buffer.alloc(xz.length, 0));
    const got = await fetchIndex(P, { client, baseUrl: server.url, dist: 'test', release, cacheDir });
    assert.equal(got.fromCache, false);
    assert.equal(await text(got.text), packages);
    assert.deepEqual(await readFile(cached), xz);
  });

  test('with a cache directory, a mismatch stores nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'debstash-index-cache2-'));
    try {
      server.inject(/Packages\.xz$|by-hash/, { body: compress(Buffer.from('Package: evil\n'), '.xz') });
      // The text streams while it downloads, so the mismatch surfaces while reading it.
      const fetched = await fetchIndex(P, { client, baseUrl: server.url, dist: 'test', release, cacheDir: dir });
      await assert.rejects(text(fetched.text), rejectsWith('DEBSTASH_E_INDEX_HASH_MISMATCH', /by-hash\/SHA256\/.*as the Release lists for main\/binary-amd64\/Packages\.xz/));
      assert.deepEqual(await readdir(dir), []);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
