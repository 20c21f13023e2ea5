import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { parseRelease } from '../../src/deb/release.js';
import { generateKey } from '../../src/keys/generate-key.js';
import { clientConfig } from '../../src/model/client-config.js';
import type { Context } from '../../src/model/context.js';
import { createMirror } from '../../src/model/mirror-admin.js';
import { updateMirror } from '../../src/model/mirror-update.js';
import { contentsCacheDir, dropPublish, publish, switchPublish } from '../../src/model/publish-ops.js';
import { createSnapshot, dropSnapshot, filterSnapshot, verifySnapshot } from '../../src/model/snapshot-ops.js';
import { type RunningServer, startServer } from '../../src/server/start-server.js';
import { isCode } from '../helpers/coded-error.js';
import { IsolatedApt } from '../helpers/isolated-apt.js';
import { doseBroken } from '../publish/dose-distcheck.js';
import { FILTER, type MirrorFixture, mirrorFixture } from './mirror-fixture.js';

describe('mirror → snapshot → publish → serve → apt', () => {
  let fx: MirrorFixture;
  let ctx: Context;
  let server: RunningServer;
  before(async () => {
    fx = await mirrorFixture();
    ctx = await fx.context();
    await generateKey(ctx.store, { name: 'Test Publisher' });
    await createMirror(ctx, 'm', { url: fx.server.url, dist: 'testing', components: ['main', 'contrib'], architectures: ['amd64', 'i386'], filter: FILTER, withDeps: true, keyrings: [fx.key.keyring] }, { architectures: ['amd64'], keyrings: [] });
    await updateMirror(ctx, 'm', { client: fx.client });
    server = await startServer(ctx, { host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await server?.close();
    await fx.close();
  });

  test('a published snapshot is installable by a real apt trusting only its key; switch and drop', async () => {
    await createSnapshot(ctx, 's1', { mirror: 'm' });
    await filterSnapshot(ctx, 's1', 's2', 'base | exim');
    const p = await publish(ctx, { kind: 'snapshot', name: 's1' }, { dist: 'stable', architectures: ['amd64', 'i386'] });
    assert.equal(p.meta.suite, 'stable');
    await assert.rejects(publish(ctx, { kind: 'snapshot', name: 's2' }, { dist: 'stable' }), isCode('DEBSTASH_E_PUBLISH_EXISTS'));

    const sources = await clientConfig(ctx, 'stable', { url: server.url });
    assert.match(sources, /^Types: deb\nURIs: http:\/\/127\.0\.0\.1:\d+\nSuites: stable\nComponents: contrib main\nSigned-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n \.\n/);
    const apt = await IsolatedApt.create(sources);
    try {
      await apt.aptGet('update');
      const out = await apt.aptGet('install', '-y', '--download-only', 'app', 'extra');
      assert.match(out.stdout, /Download complete and in download only mode/);
      assert.doesNotMatch(`${out.stdout}${out.stderr}`, /127\.0\.0\.1:(?!\d+ stable)/, 'only the publish was used');

      await switchPublish(ctx, 'stable', 's2');
      await apt.aptGet('update');
      await assert.rejects(apt.aptGet('install', '-y', '--download-only', 'app'), /Unable to locate package app/);
      await apt.aptGet('install', '-y', '--download-only', 'exim');
    } finally {
      await apt.close();
    }
    await assert.rejects(dropSnapshot(ctx, 's2'), isCode('DEBSTASH_E_IN_USE'));
    await dropPublish(ctx, 'stable');
    await assert.rejects(clientConfig(ctx, 'stable', { url: server.url }), isCode('DEBSTASH_E_PUBLISH_NOT_FOUND'));
    await dropSnapshot(ctx, 's2');
  });

  test('a client with another key refuses the publish', async () => {
    await createSnapshot(ctx, 's3', { mirror: 'm' });
    await publish(ctx, { kind: 'snapshot', name: 's3' }, { dist: 'other', prefix: 'custom/path', architectures: ['amd64'] });
    const sources = await clientConfig(ctx, 'other', { prefix: 'custom/path', url: server.url, keyPath: fx.key.keyring });
    assert.match(sources, /URIs: http:\/\/127\.0\.0\.1:\d+\/custom\/path\n/);
    const apt = await IsolatedApt.create(sources);
    try {
      await assert.rejects(apt.aptGet('update'), /NO_PUBKEY|not signed|The following signatures couldn't be verified/);
    } finally {
      await apt.close();
    }
    await assert.rejects(publish(ctx, { kind: 'snapshot', name: 's3' }, { dist: 'x', prefix: '../escape' }), (e: unknown) => e instanceof Error && /prefix|\.\./i.test(e.message));
  });

  test('several dists of a prefix are one stanza where URI, components and key agree, else one each', async () => {
    await publish(ctx, { kind: 'snapshot', name: 's3' }, { dist: 'other-updates', prefix: 'custom/path', architectures: ['amd64'] });
    await publish(ctx, { kind: 'snapshot', name: 's3' }, { dist: 'other-flat', prefix: 'custom/path', architectures: ['amd64'], component: 'flat' });
    const together = await clientConfig(ctx, ['other', 'other-updates'], { prefix: 'custom/path', url: server.url, keyPath: '/k.gpg' });
    assert.match(together, /^Types: deb\nURIs: \S+\/custom\/path\nSuites: other other-updates\nComponents: contrib main\nSigned-By: \/k\.gpg\n$/);
    const apart = await clientConfig(ctx, ['other', 'other-flat', 'other-updates'], { prefix: 'custom/path', url: server.url, keyPath: '/k.gpg' });
    assert.deepEqual([...apart.matchAll(/^Suites: (.+)\nComponents: (.+)$/gm)].map((m) => [m[1], m[2]]), [['other other-updates', 'contrib main'], ['other-flat', 'flat']]);
    await dropPublish(ctx, 'other-updates', { prefix: 'custom/path' });
    await dropPublish(ctx, 'other-flat', { prefix: 'custom/path' });
  });

  test('dose-distcheck on a published snapshot reports the packages "snapshot verify" reports', async (t) => {
    // The fixture's "broken" depends on a package the archive does not have.
    await createSnapshot(ctx, 'checked', { mirror: 'm' });
    await publish(ctx, { kind: 'snapshot', name: 'checked' }, { dist: 'checked', architectures: ['amd64', 'i386'] });
    const distDir = join(ctx.publicDir, 'dists', 'checked');
    const indexes = (await readdir(distDir, { recursive: true })).filter((p) => /^[^/]+\/binary-[^/]+\/Packages$/.test(p)).map((p) => join(distDir, p));
    assert.ok(indexes.length >= 3, indexes.join(' '));
    const dose = await doseBroken(indexes, { native: 'amd64', foreign: ['i386'] });
    if (dose === undefined) {
      t.skip('dose-distcheck is not installed (apt-get install dose-distcheck)');
      return;
    }
    const unresolved = await verifySnapshot(ctx, 'checked');
    const ours = [...new Set(unresolved.map((u) => u.package.split(/[ :_]/)[0]))].sort();
    assert.deepEqual(ours, ['broken'], JSON.stringify(unresolved));
    assert.deepEqual(dose.broken, ours, dose.report);
  });

  test('the public URL is remembered: Snapshots: in every Release, kept by switch, replaced by a new one, refused when malformed', async () => {
    await createSnapshot(ctx, 'u1', { mirror: 'm' });
    await createSnapshot(ctx, 'u2', { mirror: 'm' });
    await assert.rejects(publish(ctx, { kind: 'snapshot', name: 'u1' }, { dist: 'timed', publicUrl: 'mirror.internal' }), isCode('DEBSTASH_E_PUBLIC_URL'));
    const p = await publish(ctx, { kind: 'snapshot', name: 'u1' }, { dist: 'timed', prefix: 'tt', publicUrl: 'http://mirror.internal:8080/' });
    assert.equal(p.publicUrl, 'http://mirror.internal:8080');
    const release = (): Promise<string> => readFile(join(ctx.publicDir, 'tt', 'dists', 'timed', 'Release'), 'utf8');
    assert.match(await release(), /^Snapshots: http:\/\/mirror\.internal:8080\/snapshots\/@SNAPSHOTID@\/tt\/$/m);
    assert.equal((await switchPublish(ctx, 'timed', 'u2', { prefix: 'tt' })).publicUrl, 'http://mirror.internal:8080');
    assert.match(await release(), /^Snapshots: http:\/\/mirror\.internal:8080\//m);
    assert.equal((await switchPublish(ctx, 'timed', 'u1', { prefix: 'tt', publicUrl: 'https://apt.example.invalid' })).publicUrl, 'https://apt.example.invalid');
    assert.match(await release(), /^Snapshots: https:\/\/apt\.example\.invalid\/snapshots\/@SNAPSHOTID@\/tt\/$/m);
    await dropPublish(ctx, 'timed', { prefix: 'tt' });
  });

  test('--contents and --md5 are remembered: switch keeps both', async () => {
    await createSnapshot(ctx, 'c1', { mirror: 'm' });
    await createSnapshot(ctx, 'c2', { mirror: 'm' });
    await publish(ctx, { kind: 'snapshot', name: 'c1' }, { dist: 'full', contents: true, md5: true });
    const dir = join(ctx.publicDir, 'dists', 'full');
    const check = async (): Promise<void> => {
      const text = await readFile(join(dir, 'Release'), 'utf8');
      assert.ok(parseRelease(text).sha256.has('main/Contents-amd64.gz'), text);
      assert.match(text, /^MD5Sum:$/m);
      // The fixture's packages install no files: a valid, empty index.
      assert.equal(gunzipSync(await readFile(join(dir, 'main/Contents-amd64.gz'))).length, 0);
    };
    await check();
    assert.ok((await readdir(contentsCacheDir(ctx))).length > 0, 'file lists cached in the data dir');
    const p = await switchPublish(ctx, 'full', 'c2');
    assert.equal(p.contents, true);
    assert.equal(p.md5, true);
    await check();
  });
});
