import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DebstashError } from '../../src/errors/debstash-error.js';
import { publishTree, type PublishTreeOptions } from '../../src/publish/publish-tree.js';
import type { Signer } from '../../src/publish/signer.js';
import type { PackageEntry } from '../../src/store/records.js';
import { isCode } from '../helpers/coded-error.js';
import { listTree, publishFixture, type PublishFixture } from './publish-fixture.js';

let f: PublishFixture;
let hello: PackageEntry;
let tool: PackageEntry;

before(async () => {
  f = await publishFixture();
  hello = await f.deb({ name: 'hello', version: '1.0-1', architecture: 'amd64' });
  tool = await f.deb({ name: 'tool', version: '2', architecture: 'all' });
});

after(async () => {
  await f?.close();
});

function options(over: Partial<PublishTreeOptions> = {}): PublishTreeOptions {
  return {
    root: f.root,
    prefix: 'p',
    dist: 'stable',
    components: [{ name: 'main', packages: [hello, tool] }],
    architectures: ['amd64'],
    meta: { origin: 'Test' },
    signer: f.signer,
    store: f.store,
    pool: f.pool,
    ...over,
  };
}

const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  );

test('bad prefixes, distributions, components, architectures and fields are refused before anything is written', async () => {
  const bad: [string, Partial<PublishTreeOptions>][] = [
    ['prefix ..', { prefix: '..' }],
    ['prefix a/../b', { prefix: 'a/../b' }],
    ['prefix ../x', { prefix: '../x' }],
    ['absolute prefix', { prefix: '/etc' }],
    ['prefix with a space', { prefix: 'my repo' }],
    ['prefix with a backslash', { prefix: 'a\\b' }],
    ['prefix with a newline', { prefix: 'a\nb' }],
    ['prefix with a trailing slash', { prefix: 'a/' }],
    ['prefix with //', { prefix: 'a//b' }],
    ['hidden prefix', { prefix: '.git' }],
    ['prefix named pool', { prefix: 'x/pool' }],
    ['prefix named dists', { prefix: 'dists' }],
    ['prefix the web UI answers', { prefix: 'ui' }],
    ['prefix the API answers', { prefix: 'api/x' }],
    ['prefix the client stanzas use', { prefix: 'client' }],
    ['prefix with unicode', { prefix: 'dé' }],
    ['prefix with %', { prefix: 'a%2f' }],
    ['dist with /', { dist: 'stable/updates' }],
    ['dist ..', { dist: '..' }],
    ['empty dist', { dist: '' }],
    ['dist with a space', { dist: 'a b' }],
    ['dist starting with a dot', { dist: '.hidden' }],
    ['component ..', { components: [{ name: '..', packages: [hello] }] }],
    ['component with a space', { components: [{ name: 'ma in', packages: [hello] }] }],
    ['component twice', { components: [{ name: 'main', packages: [hello] }, { name: 'main', packages: [] }] }],
    ['no component', { components: [] }],
    ['architecture source', { architectures: ['source'] }],
    ['architecture ../x', { architectures: ['../x'] }],
    ['only architecture all', { architectures: ['all'] }],
    ['Origin with a newline', { meta: { origin: 'a\nSHA256:' } }],
    ['Suite with a space', { meta: { suite: 'a b' } }],
    ['Codename empty', { meta: { codename: '' } }],
    ['keepGenerations 0', { keepGenerations: 0 }],
  ];
  for (const [what, over] of bad) {
    await assert.rejects(publishTree(options(over)), (e: unknown) => e instanceof DebstashError && e.exitCode === 2 && e.details.failure === 'name', what);
  }
  assert.equal(await exists(f.root), false, 'something was written');
});

test('two different files for one pool path, or a record whose paragraph disagrees with its file, are refused', async () => {
  const sha = tool.files[0].sha256;
  const twin: PackageEntry = { ...hello, version: '1.0-1+b1', files: [{ ...hello.files[0], sha256: sha }], stanza: hello.stanza.replace(/^SHA256: .*$/m, `SHA256: ${sha}`) };
  await assert.rejects(
    publishTree(options({ components: [{ name: 'main', packages: [hello, twin] }] })),
    (e: unknown) => e instanceof DebstashError && e.details.failure === 'conflict' && /two different files .*hello_1\.0-1_amd64\.deb/.test(e.message),
  );
  const liar: PackageEntry = { ...hello, files: [{ ...hello.files[0], sha256: sha }] };
  await assert.rejects(
    publishTree(options({ components: [{ name: 'main', packages: [liar] }] })),
    (e: unknown) => e instanceof DebstashError && e.details.failure === 'conflict' && /says SHA256/.test(e.message),
  );
  const unsafe: PackageEntry = { ...hello, files: [{ ...hello.files[0], path: '../../etc/passwd' }] };
  await assert.rejects(publishTree(options({ components: [{ name: 'main', packages: [unsafe] }] })), isCode('DEBSTASH_E_UNSAFE_PATH'));
  const broken: PackageEntry = { ...hello, stanza: 'Package: hello\n\nPackage: other\n' };
  await assert.rejects(publishTree(options({ components: [{ name: 'main', packages: [broken] }] })), (e: unknown) => e instanceof DebstashError && e.details.failure === 'conflict');
  assert.equal(await exists(f.root), false, 'something was written');
});

/**
 * The published tree as a map from path to content (the publisher's own `.debstash` dirs left
 * out), the pool paths of prefix `p` through the pool view.
 */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const path of await listTree(dir)) {
    if (path.split('/').includes('.debstash')) continue;
    out.set(path, (await readFile(join(dir, path))).toString('base64'));
  }
  for (const file of await f.store.poolView('p')) out.set(`p/${file.path}`, (await readFile(f.pool.localPath(file.sha256))).toString('base64'));
  return out;
}

test('a publish that fails after it started (missing pool file, signer failure, cancel) leaves the previous one as it was', async () => {
  // Nothing before: a failed first publish leaves nothing at all.
  const missing: PackageEntry = { ...hello, name: 'ghost', files: [{ path: 'pool/x/ghost_1_amd64.deb', sha256: 'a'.repeat(64), size: 3 }], stanza: hello.stanza.replace(/^Package: hello$/m, 'Package: ghost').replace(/^SHA256: .*$/m, `SHA256: ${'a'.repeat(64)}`) };
  await assert.rejects(publishTree(options({ components: [{ name: 'main', packages: [hello, missing] }] })), isCode('DEBSTASH_E_POOL_NOT_FOUND'));
  assert.deepEqual(await listTree(f.root), []);
  assert.deepEqual(await f.store.poolView('p'), []);

  await publishTree(options());
  const published = await snapshot(f.root);
  assert.ok(published.has('p/dists/stable/InRelease'));

  const other = await f.deb({ name: 'other', version: '1', architecture: 'amd64' });
  const more = [hello, tool, other];
  await assert.rejects(publishTree(options({ components: [{ name: 'main', packages: [...more, missing] }] })), isCode('DEBSTASH_E_POOL_NOT_FOUND'));
  assert.deepEqual(await snapshot(f.root), published);

  const failing: Signer = { ...f.signer, fingerprint: f.signer.fingerprint, publicKeyArmored: f.signer.publicKeyArmored, clearsign: () => Promise.reject(new Error('the key is locked')), detachSign: (t) => f.signer.detachSign(t) };
  await assert.rejects(publishTree(options({ components: [{ name: 'main', packages: more }], signer: failing })), /the key is locked/);
  assert.deepEqual(await snapshot(f.root), published);

  // A signer whose signatures do not verify with its public key (the wrong key's).
  const liar: Signer = {
    fingerprint: f.signer.fingerprint,
    publicKeyArmored: f.signer.publicKeyArmored,
    clearsign: async (t) => (await f.signer.clearsign(t)).replace('Origin: Test', 'Origin: Tesx'),
    detachSign: (t) => f.signer.detachSign(t),
  };
  await assert.rejects(publishTree(options({ components: [{ name: 'main', packages: more }], signer: liar })), (e: unknown) => e instanceof DebstashError && e.details.failure === 'signature');
  assert.deepEqual(await snapshot(f.root), published);

  const controller = new AbortController();
  await assert.rejects(
    publishTree(options({ components: [{ name: 'main', packages: more }], signal: controller.signal, onStep: (step) => (step === 'written' ? controller.abort() : undefined) })),
    isCode('DEBSTASH_E_CANCELLED'),
  );
  assert.deepEqual(await snapshot(f.root), published);
  const aborted = new AbortController();
  aborted.abort();
  await assert.rejects(publishTree(options({ signal: aborted.signal })), isCode('DEBSTASH_E_CANCELLED'));

  // And the next publish goes through.
  const r = await publishTree(options({ components: [{ name: 'main', packages: more }] }));
  assert.equal(r.packages, 3);
  assert.match(await readFile(join(f.root, 'p/dists/stable/main/binary-amd64/Packages'), 'utf8'), /^Package: other$/m);
});

test('publishing what is already published changes nothing', async () => {
  const first = await publishTree(options({ prefix: 'same' }));
  const tree = await snapshot(join(f.root, 'same'));
  const again = await publishTree(options({ prefix: 'same', now: new Date(Date.now() + 60_000) }));
  assert.equal(again.unchanged, true);
  assert.equal(again.releaseSha256, first.releaseSha256);
  assert.deepEqual(await snapshot(join(f.root, 'same')), tree);
});

test('publishes to one distribution from one process run one after the other', async () => {
  const runs = await Promise.all([1, 2, 3, 4].map((i) => publishTree(options({ prefix: 'queue', meta: { origin: `Test ${i}` } }))));
  // One after the other: each its own generation. The order is the order they reach the lock
  // (planning, before it, takes longer for some than for others on a loaded machine).
  assert.deepEqual(runs.map((r) => r.generation).sort(), [1, 2, 3, 4]);
  const last = runs.findIndex((r) => r.generation === 4) + 1;
  const release = await readFile(join(f.root, 'queue/dists/stable/Release'), 'utf8');
  assert.match(release, new RegExp(`^Origin: Test ${last}$`, 'm'));
});

test('udebs go to debian-installer indexes, beside the debs', async () => {
  const udeb: PackageEntry = { ...(await f.deb({ name: 'hello-udeb', version: '1.0-1', architecture: 'amd64' })), kind: 'udeb' };
  await publishTree(options({ prefix: 'udeb', components: [{ name: 'main', packages: [hello, udeb] }] }));
  const dir = join(f.root, 'udeb/dists/stable/main');
  const installer = await readFile(join(dir, 'debian-installer/binary-amd64/Packages'), 'utf8');
  assert.match(installer, /^Package: hello-udeb$/m);
  assert.match(installer, /^Filename: pool\/main\/h\/hello-udeb\/hello-udeb_1\.0-1_amd64\.deb$/m);
  assert.doesNotMatch(await readFile(join(dir, 'binary-amd64/Packages'), 'utf8'), /hello-udeb/);
  assert.match(await readFile(join(f.root, 'udeb/dists/stable/Release'), 'utf8'), / main\/debian-installer\/binary-amd64\/Packages\.xz$/m);
});

test('a pool without local files (such as S3) is published the same: a view, nothing on disk', async () => {
  const remote = {
    has: (h: string) => f.pool.has(h),
    stat: (h: string) => f.pool.stat(h),
    put: () => Promise.reject(new Error('read-only')),
    open: (h: string) => f.pool.open(h),
    delete: () => Promise.reject(new Error('read-only')),
    list: () => f.pool.list(),
    localPath: () => undefined,
  };
  const r = await publishTree(options({ prefix: 'copied', pool: remote }));
  assert.deepEqual(r.pool, { placed: 2, kept: 0 });
  assert.deepEqual(await f.published('copied', 'pool/main/h/hello/hello_1.0-1_amd64.deb'), { sha256: hello.files[0].sha256, size: hello.files[0].size });
  assert.equal(await exists(join(f.root, 'copied/pool')), false);
});
