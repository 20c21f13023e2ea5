import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generateKey } from '../../src/keys/generate-key.js';
import { clientConfig } from '../../src/model/client-config.js';
import type { Context } from '../../src/model/context.js';
import { createMirror } from '../../src/model/mirror-admin.js';
import { updateMirror } from '../../src/model/mirror-update.js';
import { publish } from '../../src/model/publish-ops.js';
import { createSnapshot } from '../../src/model/snapshot-ops.js';
import { startServer } from '../../src/server/start-server.js';
import { IsolatedApt } from '../helpers/isolated-apt.js';
import { postgresMissing } from '../helpers/postgres-server.js';
import { sharedPostgres, stopStoreBackends } from '../helpers/store-backends.js';
import { FILTER, type MirrorFixture, mirrorFixture } from '../model/mirror-fixture.js';

/** The whole path on the PostgreSQL store: mirror update, snapshot, publish, served to a real apt. */
describe('mirror → snapshot → publish → apt with the metadata in PostgreSQL', { skip: postgresMissing() }, () => {
  let fx: MirrorFixture;
  let ctx: Context;
  before(async () => {
    fx = await mirrorFixture();
    ctx = await fx.context(await (await sharedPostgres()).createDatabase('apt_e2e'));
  });
  after(async () => {
    await fx?.close();
    await stopStoreBackends();
  });

  test('a real apt-get installs from a publish whose metadata is in PostgreSQL', async () => {
    assert.equal(ctx.store.kind, 'postgres');
    await generateKey(ctx.dataDir, { name: 'Test Publisher' });
    await createMirror(ctx, 'm', { url: fx.server.url, dist: 'testing', components: ['main', 'contrib'], architectures: ['amd64', 'i386'], filter: FILTER, withDeps: true, keyrings: [fx.key.keyring] }, { architectures: ['amd64'], keyrings: [] });
    const updated = await updateMirror(ctx, 'm', { client: fx.client });
    assert.ok(((await ctx.store.getMirror('m'))?.packageCount ?? 0) > 0, JSON.stringify(updated));
    await createSnapshot(ctx, 's1', { mirror: 'm' });
    await publish(ctx, { kind: 'snapshot', name: 's1' }, { dist: 'stable', architectures: ['amd64', 'i386'] });
    const server = await startServer(ctx, { host: '127.0.0.1', port: 0 });
    const apt = await IsolatedApt.create(await clientConfig(ctx, 'stable', { url: server.url }));
    try {
      await apt.aptGet('update');
      const out = await apt.aptGet('install', '-y', '--download-only', 'app', 'extra');
      assert.match(out.stdout, /Download complete and in download only mode/);
    } finally {
      await apt.close();
      await server.close();
    }
  });
});
