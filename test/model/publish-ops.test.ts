import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generateKey } from '../../src/keys/generate-key.js';
import { clientConfig } from '../../src/model/client-config.js';
import type { Context } from '../../src/model/context.js';
import { createMirror } from '../../src/model/mirror-admin.js';
import { updateMirror } from '../../src/model/mirror-update.js';
import { dropPublish, publish, switchPublish } from '../../src/model/publish-ops.js';
import { createSnapshot, dropSnapshot, filterSnapshot } from '../../src/model/snapshot-ops.js';
import { type RunningServer, startServer } from '../../src/server/start-server.js';
import { isCode } from '../helpers/coded-error.js';
import { IsolatedApt } from '../helpers/isolated-apt.js';
import { FILTER, type MirrorFixture, mirrorFixture } from './mirror-fixture.js';

describe('mirror → snapshot → publish → serve → apt', () => {
  let fx: MirrorFixture;
  let ctx: Context;
  let server: RunningServer;
  before(async () => {
    fx = await mirrorFixture();
    ctx = await fx.context();
    await generateKey(ctx.dataDir, { name: 'Test Publisher' });
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
});
