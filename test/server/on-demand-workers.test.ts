import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateKey } from '../../src/keys/generate-key.js';
import { closeContext, openEmbeddedContext } from '../../src/model/context.js';
import { checkDb } from '../../src/model/db-maintenance.js';
import { createMirror } from '../../src/model/mirror-admin.js';
import { updateMirror } from '../../src/model/mirror-update.js';
import { publish } from '../../src/model/publish-ops.js';
import { createSnapshot } from '../../src/model/snapshot-ops.js';
import type { PackageFile } from '../../src/store/records.js';
import { UpstreamClient } from '../../src/upstream/http-client.js';
import { FaultServer } from '../helpers/fault-server.js';
import { buildArchive, makeTestKey, type TestKey } from '../helpers/fixture-archive.js';
import { type ServeProcess, startServeProcess } from '../helpers/serve-process.js';

let dir: string;
let key: TestKey;
let upstream: FaultServer;
let serve: ServeProcess;
let file: PackageFile;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'debstash-on-demand-workers-'));
  key = await makeTestKey(dir);
  const archive = await buildArchive(dir, { codename: 'testing', architectures: ['amd64'], components: { main: [{ name: 'shared', version: '1', architecture: 'amd64', files: { 'usr/share/shared/blob': { randomBytes: 600_000 } } }] }, key });
  upstream = await FaultServer.start(archive);
  const ctx = await openEmbeddedContext(join(dir, 'data'));
  const client = new UpstreamClient({ retries: 1, retryBaseDelayMs: 5 });
  try {
    await generateKey(ctx.store, { name: 'Test Publisher' });
    await createMirror(ctx, 'lazy', { url: upstream.url, dist: 'testing', architectures: ['amd64'], keyrings: [key.keyring], policy: 'on-demand' }, { architectures: ['amd64'], keyrings: [] });
    await updateMirror(ctx, 'lazy', { client });
    await createSnapshot(ctx, 's', { mirror: 'lazy' });
    await publish(ctx, { kind: 'snapshot', name: 's' }, { dist: 'stable', architectures: ['amd64'] });
    const [p] = await ctx.store.mirrorPackages('lazy');
    assert.ok(p?.files[0]);
    file = p.files[0];
  } finally {
    await client.close();
    await closeContext(ctx);
  }
  serve = await startServeProcess(join(dir, 'data'), { args: ['--workers', '2'] });
});
after(async () => {
  await serve?.stop();
  await upstream?.close();
  await key?.close();
  await rm(dir, { recursive: true, force: true });
});

test('serve --workers 2: clients of both workers asking at once get the signed bytes; at most one fetch per worker; one file in the pool', async () => {
  // Slow enough upstream that all requests arrive while the fetches run.
  upstream.inject(`/${file.path}`, { delayMs: 400, times: 2 });
  // A connection each, so both workers take some.
  const answers = await Promise.all(
    Array.from({ length: 20 }, async () => {
      const res = await fetch(`${serve.url}/${file.path}`, { headers: { connection: 'close' } });
      return { status: res.status, worker: res.headers.get('x-debstash-worker'), sha256: createHash('sha256').update(Buffer.from(await res.arrayBuffer())).digest('hex') };
    }),
  );
  for (const a of answers) assert.deepEqual([a.status, a.sha256], [200, file.sha256]);
  const workers = new Set(answers.map((a) => a.worker));
  assert.deepEqual([...workers].sort(), ['1', '2'], 'both workers answered');
  assert.ok(upstream.count(`/${file.path}`) <= workers.size, `${upstream.count(`/${file.path}`)} upstream fetches for ${workers.size} workers`);
  // Both stored the same bytes under the same name: one intact pool file.
  const ctx = await openEmbeddedContext(join(dir, 'data'));
  try {
    for (let i = 0; i < 100 && !(await ctx.pool.has(file.sha256)); i++) await new Promise((r) => setTimeout(r, 20));
    const { deepCheckDb } = await import('../../src/model/deep-check.js');
    assert.deepEqual((await deepCheckDb(ctx)).problems, []);
    assert.deepEqual((await checkDb(ctx)).problems, []);
    assert.equal(await ctx.pool.has(file.sha256), true);
  } finally {
    await closeContext(ctx);
  }
});
