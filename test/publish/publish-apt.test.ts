import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import { splitClearsigned } from '../../src/deb/clearsigned.js';
import { parseRelease } from '../../src/deb/release.js';
import type { PackageEntry } from '../../src/store/records.js';
import { keyringOf, parseKeyring } from '../../src/upstream/keyring.js';
import { verifyInRelease } from '../../src/upstream/verify-release.js';
import { publishTree, type PublishTreeResult } from '../../src/publish/publish-tree.js';
import { FaultServer } from '../helpers/fault-server.js';
import { gpgv } from '../helpers/gpg-home.js';
import { IsolatedApt } from '../helpers/isolated-apt.js';
import { makeTestSigner } from '../helpers/test-signer.js';
import { publishFixture, sourcesEntry, tryApt, viewLocator, type PublishFixture } from './publish-fixture.js';

const run = promisify(execFile);
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const sha512 = (b: Uint8Array): string => createHash('sha512').update(b).digest('hex');

let f: PublishFixture;
let server: FaultServer;
let result: PublishTreeResult;
let entries: Record<string, PackageEntry>;
const dist = 'stable';
const base = (): string => join(f.root, 'debian');
const distDir = (): string => join(base(), 'dists', dist);

before(async () => {
  f = await publishFixture();
  entries = {
    hello: await f.deb({ name: 'hello', version: '1.0-1', architecture: 'amd64', depends: 'hello-data (= 1.0-1)' }),
    helloData: await f.deb({ name: 'hello-data', version: '1.0-1', architecture: 'all', extraFields: { Source: 'hello' } }),
    libfoo: await f.deb({ name: 'libfoo1', version: '2.0-1', architecture: 'amd64', extraFields: { Source: 'foo (2.0-1)', 'Multi-Arch': 'same' } }),
    only32: await f.deb({ name: 'only32', version: '1', architecture: 'i386' }),
    extra: await f.deb({ name: 'extra', version: '1:3.0', architecture: 'amd64', depends: 'libfoo1' }, 'contrib'),
    source: await f.source({ name: 'hello', version: '1.0-1' }),
  };
  result = await publishTree({
    root: f.root,
    prefix: 'debian',
    dist,
    components: [
      { name: 'main', packages: [entries.hello, entries.helloData, entries.libfoo, entries.only32, entries.source] },
      { name: 'contrib', packages: [entries.extra] },
    ],
    architectures: ['amd64'],
    meta: { origin: 'Debstash Test', label: 'Debstash Test', codename: 'bookworm', description: 'published by the tests' },
    signer: f.signer,
    store: f.store,
    pool: f.pool,
  });
  server = await FaultServer.start(f.root, { locate: viewLocator(f.store, [f.pool]) });
});

after(async () => {
  await server?.close();
  await f?.close();
});

async function withApt<T>(sources: string, fn: (apt: IsolatedApt) => Promise<T>): Promise<T> {
  const apt = await IsolatedApt.create(sources);
  try {
    return await fn(apt);
  } finally {
    await apt.close();
  }
}

test('the Release says what it should and lists every file, each served plainly and by SHA256 and SHA512', async () => {
  assert.equal(result.packages, 5);
  assert.equal(result.skipped, 1, 'the i386 package has no index');
  const text = await readFile(join(distDir(), 'Release'), 'utf8');
  assert.equal(result.releaseSha256, sha256(Buffer.from(text)));
  const release = parseRelease(text);
  assert.equal(release.origin, 'Debstash Test');
  assert.equal(release.label, 'Debstash Test');
  assert.equal(release.suite, dist);
  assert.equal(release.codename, 'bookworm');
  assert.equal(release.paragraph.get('Description'), 'published by the tests');
  assert.deepEqual(release.architectures, ['amd64']);
  assert.deepEqual(release.components, ['main', 'contrib']);
  assert.ok(release.acquireByHash);
  assert.ok(Math.abs(release.date.getTime() - Date.now()) < 60_000);
  assert.equal(release.paragraph.get('MD5Sum'), undefined, 'no MD5Sum unless asked');
  assert.deepEqual(
    [...release.sha256.keys()].sort(),
    [
      'contrib/binary-amd64/Packages',
      'contrib/binary-amd64/Packages.gz',
      'contrib/binary-amd64/Packages.xz',
      'contrib/binary-amd64/Release',
      'contrib/source/Release',
      'contrib/source/Sources',
      'contrib/source/Sources.gz',
      'contrib/source/Sources.xz',
      'main/binary-amd64/Packages',
      'main/binary-amd64/Packages.gz',
      'main/binary-amd64/Packages.xz',
      'main/binary-amd64/Release',
      'main/source/Release',
      'main/source/Sources',
      'main/source/Sources.gz',
      'main/source/Sources.xz',
    ],
  );
  assert.equal(result.files, 16);
  for (const e of release.sha256.values()) {
    const plain = await readFile(join(distDir(), e.path));
    assert.equal(plain.length, e.size, e.path);
    assert.equal(sha256(plain), e.sha256, e.path);
    const dir = join(distDir(), e.path, '..', 'by-hash');
    assert.deepEqual(await readFile(join(dir, 'SHA256', e.sha256)), plain, e.path);
    const s512 = release.sha512?.get(e.path)?.sha512 ?? '';
    assert.equal(sha512(plain), s512, e.path);
    assert.deepEqual(await readFile(join(dir, 'SHA512', s512)), plain, e.path);
  }
  // The compressed forms hold the same text; the per-index Release is Debian's.
  for (const index of ['main/binary-amd64/Packages', 'main/source/Sources', 'contrib/binary-amd64/Packages']) {
    const plain = await readFile(join(distDir(), index));
    assert.deepEqual(gunzipSync(await readFile(join(distDir(), `${index}.gz`))), plain);
    const { stdout } = await run('xz', ['-dc', join(distDir(), `${index}.xz`)], { encoding: 'buffer', maxBuffer: 1 << 26 });
    assert.deepEqual(stdout, plain);
  }
  assert.equal(
    await readFile(join(distDir(), 'main/binary-amd64/Release'), 'utf8'),
    'Archive: stable\nOrigin: Debstash Test\nLabel: Debstash Test\nAcquire-By-Hash: yes\nComponent: main\nArchitecture: amd64\n',
  );
});

test('Packages has Filename rewritten into the pool laid out like Debian, sorted; Sources has Directory', async () => {
  const packages = await readFile(join(distDir(), 'main/binary-amd64/Packages'), 'utf8');
  const filenames = [...packages.matchAll(/^Filename: (.*)$/gm)].map((m) => m[1]);
  assert.deepEqual(filenames, [
    'pool/main/h/hello/hello_1.0-1_amd64.deb',
    'pool/main/h/hello/hello-data_1.0-1_all.deb',
    'pool/main/f/foo/libfoo1_2.0-1_amd64.deb',
  ]);
  assert.match(packages, /\n\n$/);
  const contrib = await readFile(join(distDir(), 'contrib/binary-amd64/Packages'), 'utf8');
  assert.match(contrib, /^Filename: pool\/contrib\/e\/extra\/extra_3.0_amd64.deb$/m);
  const sources = await readFile(join(distDir(), 'main/source/Sources'), 'utf8');
  assert.match(sources, /^Directory: pool\/main\/h\/hello$/m);
  assert.equal(await readFile(join(distDir(), 'contrib/source/Sources'), 'utf8'), '');
  // Pool paths are a view of the pool's files, not copies.
  for (const e of [entries.hello, entries.helloData, entries.libfoo, ...entries.source.files.map((file) => ({ files: [file] }))]) {
    const file = e.files[0];
    const name = file.path.slice(file.path.lastIndexOf('/') + 1);
    const dir = name.startsWith('libfoo') ? 'pool/main/f/foo' : 'pool/main/h/hello';
    assert.deepEqual(await f.published('debian', `${dir}/${name}`), { sha256: file.sha256, size: file.size }, name);
  }
});

test('a real apt-get updates from it with Signed-By, by hash only, and downloads a package and a source', async () => {
  const sources = sourcesEntry(`${server.url}debian/`, dist, ['main', 'contrib'], f.signer.keyring, 'deb deb-src');
  await withApt(sources, async (apt) => {
    server.resetStats();
    const update = await tryApt(apt, 'update');
    assert.ok(update.ok, update.out);
    const indexRequests = server.requests.map((r) => r.path).filter((p) => !p.endsWith('/InRelease'));
    assert.ok(indexRequests.length >= 3, indexRequests.join('\n'));
    for (const p of indexRequests) assert.match(p, /\/by-hash\/SHA512\/[0-9a-f]{128}$/, 'apt fetched an index by name, not by hash');

    const install = await tryApt(apt, 'install', '--download-only', '-y', 'hello', 'extra');
    assert.ok(install.ok, install.out);
    const downloaded: [PackageEntry, string][] = [
      [entries.hello, 'hello_1.0-1_amd64.deb'],
      [entries.helloData, 'hello-data_1.0-1_all.deb'],
      [entries.libfoo, 'libfoo1_2.0-1_amd64.deb'],
      [entries.extra, 'extra_1%3a3.0_amd64.deb'],
    ];
    for (const [e, name] of downloaded) {
      const got = await readFile(join(apt.dir, 'var/cache/apt/archives', name));
      assert.equal(sha256(got), e.files[0].sha256, name);
    }

    // The source package: apt finds it and its files are served where Sources says, intact.
    const { stdout } = await apt.aptGet('source', '--print-uris', 'hello');
    const uris = [...stdout.matchAll(/^'([^']+)' (\S+) (\d+) SHA256:([0-9a-f]{64})$/gm)];
    assert.equal(uris.length, 3, stdout);
    for (const [, uri, , size, hash] of uris) {
      const body = Buffer.from(await (await fetch(uri)).arrayBuffer());
      assert.equal(body.length, Number(size), uri);
      assert.equal(sha256(body), hash, uri);
    }
  });
});

test('gpgv, sqv and our own verifier accept InRelease and Release.gpg with the public key', async () => {
  const inRelease = await readFile(join(distDir(), 'InRelease'));
  const release = await readFile(join(distDir(), 'Release'));
  assert.ok((await gpgv(f.signer.keyring, join(distDir(), 'InRelease'))).ok);
  assert.ok((await gpgv(f.signer.keyring, join(distDir(), 'Release.gpg'), join(distDir(), 'Release'))).ok);
  await run('sqv', ['--keyring', f.signer.keyring, join(distDir(), 'Release.gpg'), join(distDir(), 'Release')]);
  // sqv (1.1) takes only detached signatures: check InRelease's signature over its text.
  const parts = splitClearsigned(inRelease);
  await writeFile(join(f.dir, 'inrelease.text'), parts.signed);
  await writeFile(join(f.dir, 'inrelease.sig'), parts.signatures.join(''));
  await run('sqv', ['--keyring', f.signer.keyring, join(f.dir, 'inrelease.sig'), join(f.dir, 'inrelease.text')]);
  const keyring = keyringOf(await parseKeyring(await readFile(f.signer.keyring), 'key'), 'key');
  const verified = await verifyInRelease(inRelease, keyring);
  assert.equal(`${verified.text}\n`, release.toString('utf8'));
  assert.equal(verified.fingerprint, f.signer.fingerprint);
  // Another key does not verify it.
  const other = await makeTestSigner(join(f.dir, 'other'), 'other');
  assert.equal((await gpgv(other.keyring, join(distDir(), 'InRelease'))).ok, false);
});

test('apt refuses it with another key in Signed-By', async () => {
  const other = await makeTestSigner(join(f.dir, 'wrong'), 'wrong');
  await withApt(sourcesEntry(`${server.url}debian/`, dist, ['main'], other.keyring), async (apt) => {
    const update = await tryApt(apt, 'update');
    assert.equal(update.ok, false, update.out);
    assert.match(update.out, /NO_PUBKEY|not signed|signature/i);
  });
});

test('apt refuses a tampered Packages', async () => {
  const path = join(distDir(), 'main/binary-amd64/Packages');
  const tampered = Buffer.from((await readFile(path, 'utf8')).replace('Depends: hello-data (= 1.0-1)', 'Depends: evil'));
  // Whatever name apt asks for (by hash, or plainly), it gets the altered index, compressed.
  const tamperedXz = execFileSync('xz', ['-c'], { input: tampered });
  server.inject(/\/main\/binary-amd64\/(by-hash\/.*|Packages\.xz)$/, { body: tamperedXz });
  server.inject(/\/main\/binary-amd64\/Packages\.gz$/, { body: gzipSync(tampered) });
  server.inject(/\/main\/binary-amd64\/Packages$/, { body: tampered });
  try {
    await withApt(sourcesEntry(`${server.url}debian/`, dist, ['main'], f.signer.keyring), async (apt) => {
      const update = await tryApt(apt, 'update');
      assert.equal(update.ok, false, update.out);
      assert.match(update.out, /Hash Sum mismatch|File has unexpected size/);
    });
  } finally {
    server.clearFaults();
  }
});

test('apt refuses a tampered InRelease', async () => {
  const inRelease = await readFile(join(distDir(), 'InRelease'), 'utf8');
  assert.ok(inRelease.includes('Label: Debstash Test'));
  server.inject(/\/InRelease$/, { body: Buffer.from(inRelease.replace('Label: Debstash Test', 'Label: Debstash Tesx')) });
  try {
    await withApt(sourcesEntry(`${server.url}debian/`, dist, ['main'], f.signer.keyring), async (apt) => {
      const update = await tryApt(apt, 'update');
      assert.equal(update.ok, false, update.out);
      assert.match(update.out, /BADSIG|not signed|signature/i);
    });
  } finally {
    server.clearFaults();
  }
});

test('with md5, the Release has an MD5Sum section too, and apt still takes it', async () => {
  const r = await publishTree({
    root: f.root,
    prefix: 'md5',
    dist,
    components: [{ name: 'main', packages: [entries.hello, entries.helloData] }],
    architectures: ['amd64'],
    meta: {},
    signer: f.signer,
    store: f.store,
    pool: f.pool,
    md5: true,
  });
  const release = await readFile(join(f.root, 'md5/dists', dist, 'Release'), 'utf8');
  assert.equal(sha256(Buffer.from(release)), r.releaseSha256);
  const md5 = /^MD5Sum:\n((?: .*\n)+)/m.exec(release);
  assert.ok(md5, release);
  const packages = await readFile(join(f.root, 'md5/dists', dist, 'main/binary-amd64/Packages'));
  assert.ok(md5[1].includes(` ${createHash('md5').update(packages).digest('hex')} `));
  assert.doesNotMatch(release, /^(Origin|Label|Description):/m);
  await withApt(sourcesEntry(`${server.url}md5/`, dist, ['main'], f.signer.armoredFile), async (apt) => {
    const update = await tryApt(apt, 'update');
    assert.ok(update.ok, update.out);
    const install = await tryApt(apt, 'install', '--download-only', '-y', 'hello');
    assert.ok(install.ok, install.out);
  });
});
