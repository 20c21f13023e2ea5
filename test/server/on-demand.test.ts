import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { generateKey } from '../../src/keys/generate-key.js';
import { clientConfig } from '../../src/model/client-config.js';
import { closeContext, type Context, openEmbeddedContext } from '../../src/model/context.js';
import { checkDb, cleanupDb } from '../../src/model/db-maintenance.js';
import { deepCheckDb } from '../../src/model/deep-check.js';
import { createMirror, editMirror } from '../../src/model/mirror-admin.js';
import { updateMirror } from '../../src/model/mirror-update.js';
import { exportPublish, publish } from '../../src/model/publish-ops.js';
import { createSnapshot } from '../../src/model/snapshot-ops.js';
import { Metrics } from '../../src/server/metrics.js';
import { type RunningServer, startServer } from '../../src/server/start-server.js';
import { UpstreamClient } from '../../src/upstream/http-client.js';
import type { DebSpec } from '../helpers/build-deb.js';
import { isCode } from '../helpers/coded-error.js';
import { FaultServer } from '../helpers/fault-server.js';
import { buildArchive, makeTestKey, type TestKey } from '../helpers/fixture-archive.js';
import { IsolatedApt } from '../helpers/isolated-apt.js';
import { tryApt } from '../publish/publish-fixture.js';

/** What the fixture upstream ships; `big` is large enough to stream in many pieces. */
const PACKAGES: readonly DebSpec[] = [
  { name: 'hello', version: '1.0', architecture: 'amd64', depends: 'libhello1' },
  { name: 'libhello1', version: '1.0', architecture: 'amd64' },
  { name: 'crowd', version: '2', architecture: 'all' },
  { name: 'big', version: '3', architecture: 'amd64', files: { 'usr/share/big/blob': { randomBytes: 1_500_000 } } },
  { name: 'never', version: '1', architecture: 'amd64' },
  { name: 'forged', version: '1', architecture: 'amd64', files: { 'usr/share/forged/blob': { randomBytes: 400_000 } } },
];

const debPath = (name: string, version: string, arch: string): string => `/pool/main/${name[0]}/${name}/${name}_${version}_${arch}.deb`;

/** GET with Node's plain client: status, body, and whether the body arrived whole. */
function get(url: string): Promise<{ status: number; body: Buffer; complete: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      const done = (complete: boolean): void => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), complete });
      res.on('end', () => done(res.complete));
      res.on('aborted', () => done(false));
      res.on('error', () => done(false));
    });
    req.on('error', reject);
    req.end();
  });
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('on-demand mirror: metadata at update, packages at first request', () => {
  let dir: string;
  let key: TestKey;
  let upstream: FaultServer;
  let client: UpstreamClient;
  let ctx: Context;
  let server: RunningServer;
  const metrics = new Metrics();
  const log: Record<string, unknown>[] = [];
  /** Every file of the mirror by package name: its pool path, SHA-256 and size. */
  const files = new Map<string, { path: string; sha256: string; size: number }>();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'debstash-on-demand-'));
    key = await makeTestKey(dir);
    const archive = await buildArchive(dir, { codename: 'testing', architectures: ['amd64'], components: { main: PACKAGES }, key });
    upstream = await FaultServer.start(archive);
    client = new UpstreamClient({ retries: 1, retryBaseDelayMs: 5 });
    ctx = await openEmbeddedContext(join(dir, 'data'));
    await generateKey(ctx.store, { name: 'Test Publisher' });
    await createMirror(ctx, 'lazy', { url: upstream.url, dist: 'testing', architectures: ['amd64'], keyrings: [key.keyring], policy: 'on-demand' }, { architectures: ['amd64'], keyrings: [] });
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString('utf8').split('\n')) if (l !== '') log.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    });
    server = await startServer(ctx, { host: '127.0.0.1', port: 0, metrics, logger: pino({ level: 'info' }, sink) });
  });
  after(async () => {
    await server?.close(0);
    await client?.close();
    await upstream?.close();
    await closeContext(ctx);
    await key?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const poolRequests = (): number => upstream.requests.filter((r) => r.path.startsWith('/pool/')).length;

  test('update fetches indexes only, says what it deferred; snapshot and publish need no package file', async () => {
    const r = await updateMirror(ctx, 'lazy', { client });
    assert.equal(r.packages, PACKAGES.length);
    assert.equal(r.downloadFiles, 0);
    assert.equal(r.deferredFiles, PACKAGES.length);
    assert.ok(r.deferredBytes > 1_500_000);
    assert.equal(poolRequests(), 0);
    for (const p of await ctx.store.mirrorPackages('lazy')) {
      const f = p.files[0];
      if (f !== undefined) files.set(p.name, { path: `/${f.path}`, sha256: f.sha256, size: f.size });
      assert.equal(await ctx.pool.has(f?.sha256 ?? ''), false);
    }
    await createSnapshot(ctx, 's1', { mirror: 'lazy' });
    await publish(ctx, { kind: 'snapshot', name: 's1' }, { dist: 'stable', architectures: ['amd64'] });
    // Absent as expected: neither check calls it damage.
    const check = await checkDb(ctx);
    assert.deepEqual([check.missing, check.problems, check.deferredAbsent], [[], [], PACKAGES.length]);
    const deep = await deepCheckDb(ctx);
    assert.deepEqual([deep.missing, deep.problems], [[], []]);
    // An exported tree could not fetch them.
    await assert.rejects(exportPublish(ctx, join(dir, 'export'), { dist: 'stable' }), isCode('DEBSTASH_E_ON_DEMAND_NOT_FETCHED'));
  });

  test('a real apt installs through the publish: one upstream fetch per .deb, none the second time', async () => {
    const apt = await IsolatedApt.create(await clientConfig(ctx, 'stable', { url: server.url }));
    try {
      const update = await tryApt(apt, 'update');
      assert.ok(update.ok, update.out);
      const install = await tryApt(apt, 'install', '-y', '--download-only', 'hello');
      assert.ok(install.ok, install.out);
      for (const name of ['hello', 'libhello1']) {
        const f = files.get(name);
        assert.equal(upstream.count(f?.path ?? ''), 1, name);
        await waitFor(() => ctx.pool.has(f?.sha256 ?? ''));
      }
      const again = await IsolatedApt.create(await clientConfig(ctx, 'stable', { url: server.url }));
      try {
        const before = poolRequests();
        assert.ok((await tryApt(again, 'update')).ok);
        const second = await tryApt(again, 'install', '-y', '--download-only', 'hello');
        assert.ok(second.ok, second.out);
        assert.equal(poolRequests(), before);
      } finally {
        await again.close();
      }
    } finally {
      await apt.close();
    }
  });

  test('20 clients asking for one file at once cause one upstream fetch, and all get its bytes', async () => {
    const f = files.get('crowd');
    assert.ok(f);
    // Slow enough upstream that every request arrives while the fetch runs.
    upstream.inject(f.path, { delayMs: 300, times: 1 });
    const answers = await Promise.all(Array.from({ length: 20 }, () => get(`${server.url}${f.path}`)));
    for (const a of answers) assert.deepEqual([a.status, a.complete, sha256(a.body)], [200, true, f.sha256]);
    assert.equal(upstream.count(f.path), 1);
  });

  test('bytes that do not match the signed index are cut off before the end, stored nowhere; the next fetch works', async () => {
    const f = files.get('big');
    assert.ok(f);
    const tampered = Buffer.alloc(f.size, 0x5a);
    upstream.inject(f.path, { body: tampered, times: 1 });
    const cut = await get(`${server.url}${f.path}`);
    // Mid-stream: the answer had begun (200), the connection was cut before the last byte.
    assert.deepEqual([cut.status, cut.complete], [200, false]);
    assert.ok(cut.body.length < f.size, `${cut.body.length} bytes of ${f.size} reached the client`);
    assert.equal(await ctx.pool.has(f.sha256), false);
    const refused = await metrics.render(ctx);
    assert.match(refused, /^debstash_on_demand_fetches_total\{outcome="refused"\} 1$/m);
    assert.ok(log.some((l) => l.code === 'DEBSTASH_E_UPSTREAM_ON_DEMAND' && l.sha256 === f.sha256));

    const whole = await get(`${server.url}${f.path}`);
    assert.deepEqual([whole.status, whole.complete, sha256(whole.body)], [200, true, f.sha256]);
    assert.equal(upstream.count(f.path), 2);
    await waitFor(() => ctx.pool.has(f.sha256));
  });

  test('a real apt never takes forged bytes: without retries it fails; with them it ends with the signed file', async () => {
    const f = files.get('forged');
    assert.ok(f);
    const apt = await IsolatedApt.create(await clientConfig(ctx, 'stable', { url: server.url }));
    try {
      assert.ok((await tryApt(apt, 'update')).ok);
      upstream.inject(f.path, { body: Buffer.alloc(f.size, 0x17), times: 1 });
      const refused = await tryApt(apt, '-o', 'Acquire::Retries=0', 'install', '-y', '--download-only', 'forged');
      assert.equal(refused.ok, false, refused.out);
      assert.equal(await ctx.pool.has(f.sha256), false);
      const fixed = await tryApt(apt, 'install', '-y', '--download-only', 'forged');
      assert.ok(fixed.ok, fixed.out);
      const got = await readFile(join(apt.dir, 'var/cache/apt/archives', f.path.slice(f.path.lastIndexOf('/') + 1)));
      assert.equal(sha256(got), f.sha256);
      assert.equal(upstream.count(f.path), 2);
    } finally {
      await apt.close();
    }
  });

  test('db cleanup evicts on-demand files by age and by budget, never cache-on-serve ones', async () => {
    const stored = ['hello', 'libhello1', 'crowd', 'big', 'forged'].map((n) => files.get(n)?.sha256 ?? '');
    for (const h of stored) await waitFor(() => ctx.pool.has(h));
    // Young files stay under a long max age; a budget above what they take evicts nothing.
    const none = await cleanupDb(ctx, { onDemandMaxAgeMs: 3_600_000, onDemandBudgetBytes: 10_000_000 });
    assert.deepEqual(none.evicted, []);
    // A budget that only the two large files fit keeps them (the newest); the older rest go.
    const budget = await cleanupDb(ctx, { onDemandBudgetBytes: (files.get('big')?.size ?? 0) + (files.get('forged')?.size ?? 0) + 100, dryRun: true });
    assert.deepEqual(new Set(budget.evicted), new Set(stored.slice(0, 3)));
    assert.equal(await ctx.pool.has(stored[0] ?? ''), true, 'a dry run deletes nothing');
    await editMirror(ctx, 'lazy', { policy: 'cache-on-serve' });
    assert.deepEqual((await cleanupDb(ctx, { onDemandMaxAgeMs: 0 })).evicted, []);
    await editMirror(ctx, 'lazy', { policy: 'on-demand' });
    const aged = await cleanupDb(ctx, { onDemandMaxAgeMs: 0, now: new Date(Date.now() + 1000) });
    assert.deepEqual(new Set(aged.evicted), new Set(stored));
    for (const h of stored) assert.equal(await ctx.pool.has(h), false);
    // Evicted is not damage, and the next request fetches it again.
    assert.deepEqual((await checkDb(ctx)).problems, []);
    const hello = files.get('hello');
    assert.ok(hello);
    const again = await get(`${server.url}${hello.path}`);
    assert.deepEqual([again.status, sha256(again.body)], [200, hello.sha256]);
    assert.equal(upstream.count(hello.path), 2);
  });

  test('upstream down: files in the pool are served, the others answer 502 with a coded body', async () => {
    const hello = files.get('hello');
    const never = files.get('never');
    assert.ok(hello && never);
    await waitFor(() => ctx.pool.has(hello.sha256));
    upstream.inject(never.path, { status: 404, times: 1 });
    const missing = await get(`${server.url}${never.path}`);
    assert.equal(missing.status, 502);
    assert.match(missing.body.toString('utf8'), /^DEBSTASH_E_UPSTREAM_ON_DEMAND: /);
    await upstream.close();
    const cached = await get(`${server.url}${hello.path}`);
    assert.deepEqual([cached.status, sha256(cached.body)], [200, hello.sha256]);
    const down = await get(`${server.url}${never.path}`);
    assert.equal(down.status, 502);
    assert.match(down.body.toString('utf8'), /^DEBSTASH_E_UPSTREAM_ON_DEMAND: /);
    assert.equal(await ctx.pool.has(never.sha256), false);
  });
});

/** Polls `check` until it holds (the pool put ends just after the last byte went out); bounded. */
async function waitFor(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail('condition not reached within 2 s');
}
