import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateKey } from '../../src/keys/generate-key.js';
import { closeContext, type Context, openEmbeddedContext } from '../../src/model/context.js';
import { createMirror } from '../../src/model/mirror-admin.js';
import { updateMirror } from '../../src/model/mirror-update.js';
import { publish } from '../../src/model/publish-ops.js';
import { createSnapshot } from '../../src/model/snapshot-ops.js';
import { type RunningServer, startServer } from '../../src/server/start-server.js';
import { UpstreamClient } from '../../src/upstream/http-client.js';
import { FaultServer } from '../helpers/fault-server.js';
import { buildArchive, makeTestKey, type TestKey } from '../helpers/fixture-archive.js';
import { SWIFT_CREDENTIALS, SwiftS3Server } from '../helpers/swift-s3-server.js';

const swiftMissing = SwiftS3Server.missing();
const BUCKET = 'on-demand';

let dir: string;
let key: TestKey;
let swift: SwiftS3Server;
let upstream: FaultServer;
let client: UpstreamClient;
let ctx: Context;
let server: RunningServer;

before(async () => {
  if (swiftMissing !== undefined) return;
  dir = await mkdtemp(join(tmpdir(), 'debstash-on-demand-s3-'));
  let archive: string;
  [swift, [key, archive]] = await Promise.all([
    SwiftS3Server.start(),
    (async (): Promise<[TestKey, string]> => {
      const k = await makeTestKey(dir);
      return [k, await buildArchive(dir, { codename: 'testing', architectures: ['amd64'], components: { main: [{ name: 'hello', version: '1', architecture: 'amd64', files: { 'usr/share/hello/blob': { randomBytes: 300_000 } } }] }, key: k })];
    })(),
  ]);
  await swift.createBucket(BUCKET);
  upstream = await FaultServer.start(archive);
  client = new UpstreamClient({ retries: 1, retryBaseDelayMs: 5 });
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: SWIFT_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: SWIFT_CREDENTIALS.secretAccessKey, AWS_REGION: 'us-east-1' });
  ctx = await openEmbeddedContext(join(dir, 'data'), undefined, { storage: `s3://${BUCKET}/site?endpoint=${encodeURIComponent(swift.endpoint)}&path_style=1` });
  await generateKey(ctx.store, { name: 'Test Publisher' });
  await createMirror(ctx, 'lazy', { url: upstream.url, dist: 'testing', architectures: ['amd64'], keyrings: [key.keyring], policy: 'cache-on-serve' }, { architectures: ['amd64'], keyrings: [] });
  await updateMirror(ctx, 'lazy', { client });
  await createSnapshot(ctx, 's', { mirror: 'lazy' });
  await publish(ctx, { kind: 'snapshot', name: 's' }, { dist: 'stable', architectures: ['amd64'] });
  server = await startServer(ctx, { host: '127.0.0.1', port: 0 });
}, { timeout: 120_000 });
after(async () => {
  await server?.close(0);
  await client?.close();
  await upstream?.close();
  if (ctx !== undefined) await closeContext(ctx);
  await swift?.stop();
  await key?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

test('with the pool on S3: the first request fetches from upstream into the bucket, the second is served from it', { skip: swiftMissing ?? false, timeout: 60_000 }, async () => {
  const [p] = await ctx.store.mirrorPackages('lazy');
  const f = p?.files[0];
  assert.ok(f);
  assert.equal(await ctx.pool.has(f.sha256), false);
  const first = Buffer.from(await (await fetch(`${server.url}/${f.path}`)).arrayBuffer());
  assert.equal(createHash('sha256').update(first).digest('hex'), f.sha256);
  for (let i = 0; i < 100 && !(await ctx.pool.has(f.sha256)); i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(await ctx.pool.has(f.sha256), true);
  await upstream.close();
  const second = await fetch(`${server.url}/${f.path}`);
  assert.equal(second.status, 200);
  assert.equal(createHash('sha256').update(Buffer.from(await second.arrayBuffer())).digest('hex'), f.sha256);
  assert.equal(upstream.count(`/${f.path}`), 1);
});
