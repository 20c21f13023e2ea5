import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { GetObjectCommand, ListObjectsV2Command, PutBucketAclCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { splitClearsigned } from '../../src/deb/clearsigned.js';
import { parseRelease } from '../../src/deb/release.js';
import type { PublishState } from '../../src/publish/publish-state.js';
import type { TaskRecord } from '../../src/store/coordination-records.js';
import { buildDeb } from '../helpers/build-deb.js';
import { IsolatedApt } from '../helpers/isolated-apt.js';
import { postgresMissing, type PostgresServer, startPostgres } from '../helpers/postgres-server.js';
import { runCli } from '../helpers/run-cli.js';
import { type ServeProcess, startServeProcess } from '../helpers/serve-process.js';
import { SWIFT_CREDENTIALS, SwiftS3Server } from '../helpers/swift-s3-server.js';

const BUCKET = 'replicas';
const skip = SwiftS3Server.missing() ?? postgresMissing() ?? false;

let dir: string;
let swift: SwiftS3Server;
let pg: PostgresServer;
let s3: S3Client;
let env: Record<string, string>;
let secret: string;
let debs: string[];
const replicas: ServeProcess[] = [];

/** Repos, their packages (deb i goes to repo i % REPOS), and the publishes of their snapshots. */
const REPOS = 5;
const DEBS = 25;
const SNAPSHOTS = 10;

before(async () => {
  if (skip !== false) return;
  dir = await mkdtemp(join(tmpdir(), 'debstash-replicas-'));
  const building = Promise.all(
    Array.from({ length: DEBS }, (_, i) => buildDeb(join(dir, 'debs'), { name: `pkg${i}`, version: '1.0', architecture: 'amd64', files: { [`usr/share/doc/pkg${i}/README`]: `package ${i}\n` } }, { compression: 'gzip' })),
  );
  [swift, pg, debs] = await Promise.all([SwiftS3Server.start(), startPostgres(), building]);
  await swift.createBucket(BUCKET);
  s3 = swift.client(6);
  // Readable without credentials through Swift's own API: s3api maps public-read to the container ACL `.r:*`.
  await s3.send(new PutBucketAclCommand({ Bucket: BUCKET, ACL: 'public-read' }));
  env = {
    DEBSTASH_DATABASE_URL: await pg.createDatabase('replicas'),
    DEBSTASH_STORAGE_URL: `s3://${BUCKET}/site?endpoint=${encodeURIComponent(swift.endpoint)}&path_style=1`,
    AWS_ACCESS_KEY_ID: SWIFT_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: SWIFT_CREDENTIALS.secretAccessKey,
    AWS_REGION: 'us-east-1',
    DEBSTASH_KEY_PASSPHRASE: '',
  };
  // The key and the token are the store's: made by a CLI on a data dir of its own.
  const cliDir = join(dir, 'cli');
  const key = await runCli(cliDir, ['key', 'generate'], { env });
  assert.equal(key.status, 0, key.text);
  const token = await runCli(cliDir, ['-q', 'token', 'create', '--scope', 'admin'], { env });
  assert.equal(token.status, 0, token.text);
  secret = token.text.trim();
  // Two replicas, each on an empty data dir of its own.
  replicas.push(...(await Promise.all(['a', 'b'].map(async (n) => startServeProcess(await mkdtemp(join(dir, `replica-${n}-`)), { env })))));
}, { timeout: 120_000 });

after(async () => {
  await Promise.all(replicas.map((r) => r.stop()));
  s3?.destroy();
  await swift?.stop();
  await pg?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

async function api<T>(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const raw = body instanceof Uint8Array;
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${secret}`, ...(body === undefined ? {} : { 'content-type': raw ? 'application/vnd.debian.binary-package' : 'application/json' }) },
    ...(body === undefined ? {} : { body: raw ? body : JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as T };
}

const finished = (t: TaskRecord): boolean => ['succeeded', 'failed', 'cancelled'].includes(t.state);

async function waitTask(url: string, id: string): Promise<TaskRecord> {
  for (let i = 0; i < 1200; i++) {
    const { body } = await api<{ task: TaskRecord }>(url, 'GET', `/api/tasks/${id}`);
    if (finished(body.task)) return body.task;
    await sleep(50);
  }
  throw new Error(`task ${id} did not finish`);
}

/** Starts a publish task (POST `path`) through `url` and waits for it; fails unless it succeeded. */
async function publishTask(url: string, path: string, body: unknown): Promise<void> {
  const started = await api<{ task: TaskRecord }>(url, 'POST', path, body);
  assert.equal(started.status, 202, JSON.stringify(started.body));
  const task = await waitTask(url, started.body.task.id);
  assert.equal(task.state, 'succeeded', JSON.stringify(task.error));
}

const prefixOf = (k: number): string => (k % 2 === 0 ? 'even' : 'odd');

async function bucketText(key: string): Promise<string | undefined> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return await out.Body?.transformToString('utf8');
  } catch {
    return undefined;
  }
}

/** The binary Packages of a publish through `url`, fetched by hash from what its InRelease names. */
async function packagesOf(url: string, prefix: string, dist: string): Promise<{ inRelease: string; names: string[] }> {
  const res = await fetch(`${url}/${prefix}/dists/${dist}/InRelease`);
  assert.equal(res.status, 200, `${url} serves ${prefix}/${dist}`);
  const inRelease = await res.text();
  const release = parseRelease(Buffer.from(splitClearsigned(Buffer.from(inRelease)).signed).toString('utf8'));
  const sha = release.sha256.get('main/binary-amd64/Packages')?.sha256 ?? '';
  const index = await fetch(`${url}/${prefix}/dists/${dist}/main/binary-amd64/by-hash/SHA256/${sha}`);
  assert.equal(index.status, 200);
  const text = await index.text();
  assert.equal(createHash('sha256').update(text).digest('hex'), sha);
  return { inRelease, names: [...text.matchAll(/^Package: (.*)$/gm)].map((m) => m[1] ?? '').sort() };
}

const expectedNames = (repo: number): string[] => Array.from({ length: DEBS }, (_, i) => i).filter((i) => i % REPOS === repo).map((i) => `pkg${i}`).sort();

test('two replicas over one PostgreSQL and one bucket, each on an empty data dir: 50 API writes through both, publishes served by both, a replica killed mid-publish, apt through either and from the bucket', { skip, timeout: 240_000 }, async (t) => {
  const [a, b] = replicas as [ServeProcess, ServeProcess];
  const via = (i: number): string => (i % 2 === 0 ? a.url : b.url);
  const timed = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const r = await fn();
    t.diagnostic(`${what}: ${(performance.now() - started).toFixed(0)} ms`);
    return r;
  };

  // 50 writes, each phase concurrent and split across both replicas: 5 repos, 25 uploads, 10 snapshots, 10 publishes.
  await timed('5 repos', () => Promise.all(Array.from({ length: REPOS }, async (_, r) => assert.equal((await api(via(r), 'POST', '/api/repos', { name: `r${r}` })).status, 201))));
  await timed('25 uploads', () =>
    Promise.all(debs.map(async (file, i) => {
      const res = await api<unknown>(via(i), 'POST', `/api/repos/r${i % REPOS}/packages`, new Uint8Array(await readFile(file)));
      assert.equal(res.status, 201, JSON.stringify(res.body));
    })),
  );
  await timed('10 snapshots', () =>
    Promise.all(Array.from({ length: SNAPSHOTS }, async (_, k) => assert.equal((await api(via(k), 'POST', '/api/snapshots', { name: `s${k}`, fromRepo: `r${k % REPOS}` })).status, 201))),
  );
  await timed('10 publishes', () =>
    Promise.all(Array.from({ length: SNAPSHOTS }, (_, k) => publishTask(via(k), '/api/publish', { source: { kind: 'snapshot', name: `s${k}` }, dist: `d${k}`, prefix: prefixOf(k) }))),
  );

  // Nothing lost: every repo has its packages, read through the replica that did not write them.
  for (let r = 0; r < REPOS; r++) {
    const repo = await api<{ packages: { name: string }[] }>(via(r + 1), 'GET', `/api/repos/r${r}`);
    assert.deepEqual(repo.body.packages.map((p) => p.name).sort(), expectedNames(r));
  }
  const check = await runCli(join(dir, 'cli'), ['db', 'check'], { env });
  assert.equal(check.status, 0, check.text);
  assert.match(check.text, /0 missing, 0 unreferenced/);
  assert.match(check.text, /0 problems/);

  // Every publish, made through one replica, is served the same by the other.
  for (let k = 0; k < SNAPSHOTS; k++) {
    const [fromA, fromB] = await Promise.all([packagesOf(a.url, prefixOf(k), `d${k}`), packagesOf(b.url, prefixOf(k), `d${k}`)]);
    assert.equal(fromA.inRelease, fromB.inRelease, `d${k}: one InRelease on both replicas`);
    assert.deepEqual(fromA.names, expectedNames(k % REPOS));
  }

  // A real apt through A, through B, and straight from the bucket (Swift's own API, no credentials).
  const sources = await (await fetch(`${a.url}/client/even/d0.sources`)).text();
  const bucketUrl = `${swift.endpoint}/v1/AUTH_test/${BUCKET}/site/public/even/`;
  await timed('apt through A, B and the bucket', () =>
    Promise.all([a.url, b.url, null].map(async (url) => {
      const text = url === null ? sources.replace(/^URIs: .*$/m, `URIs: ${bucketUrl}`) : sources.replace(a.url, url);
      assert.notEqual(text, url === null ? sources : '', 'the URI is replaced');
      const apt = await IsolatedApt.create(text);
      try {
        await apt.aptGet('update');
        const out = await apt.aptGet('install', '-y', '--download-only', 'pkg0');
        assert.match(out.stdout, /Download complete and in download only mode/);
        assert.deepEqual((await readdir(join(apt.dir, 'var/cache/apt/archives'))).filter((n) => n.endsWith('.deb')), ['pkg0_1.0_amd64.deb']);
      } finally {
        await apt.close();
      }
    })),
  );

  // SIGKILL A in the middle of a publish (its new generation pending in the bucket); B serves
  // the old one throughout, then republishes, taking over A's lock.
  const stateKey = 'site/public/even/dists/d0/.debstash/state.json';
  const old = await packagesOf(b.url, 'even', 'd0');
  let watching = true;
  let served = 0;
  // packagesOf fails unless B answers a whole publish: InRelease and the index it names.
  const watcher = (async (): Promise<void> => {
    while (watching) {
      await packagesOf(b.url, 'even', 'd0');
      served++;
      await sleep(20);
    }
  })();
  let killed = false;
  for (let attempt = 0; attempt < 6 && !killed; attempt++) {
    // Alternately s1 and s0, so that every attempt writes a new generation.
    const target = attempt % 2 === 0 ? 's1' : 's0';
    const started = await api<{ task: TaskRecord }>(a.url, 'POST', '/api/publish/d0/switch?prefix=even', { snapshot: target });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    for (let i = 0; i < 2000; i++) {
      const state = await bucketText(stateKey);
      if (state !== undefined && (JSON.parse(state) as PublishState).pending !== null) {
        a.child.kill('SIGKILL');
        killed = true;
        break;
      }
      const task = await api<{ task: TaskRecord }>(a.url, 'GET', `/api/tasks/${started.body.task.id}`);
      if (finished(task.body.task)) break;
    }
    if (!killed) t.diagnostic(`attempt ${attempt}: the publish finished before it was caught pending`);
    assert.ok(killed || attempt < 5, 'A was killed while its publish was pending');
    if (!killed) {
      // Served a new generation: the watcher's old one is now this.
      Object.assign(old, await packagesOf(b.url, 'even', 'd0'));
    }
  }
  await a.exited;
  await sleep(300);
  watching = false;
  await watcher;
  t.diagnostic(`B answered ${served} times during the kill`);
  const afterKill = await packagesOf(b.url, 'even', 'd0');
  assert.equal(afterKill.inRelease, old.inRelease, 'the kill left the old publish served');

  await timed('the republish through B', () => publishTask(b.url, '/api/publish/d0/switch?prefix=even', { snapshot: 's1' }));
  assert.deepEqual((await packagesOf(b.url, 'even', 'd0')).names, expectedNames(1));
  const state = JSON.parse((await bucketText(stateKey)) ?? '{}') as PublishState;
  assert.equal(state.pending, null);
  assert.deepEqual(state.garbage, [], 'the abandoned generation was cleaned up');
  const named = new Set(state.generations.flatMap((g) => Object.values(g.files).map((f) => f.sha256)));
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'site/public/even/dists/d0/' }));
  for (const o of listed.Contents ?? []) {
    const m = /\/by-hash\/SHA256\/([0-9a-f]{64})$/.exec(o.Key ?? '');
    if (m !== null) assert.ok(named.has(m[1] ?? ''), `${o.Key} is named by a kept generation`);
  }
  const final = await runCli(join(dir, 'cli'), ['db', 'check'], { env });
  assert.equal(final.status, 0, final.text);
  assert.match(final.text, /0 problems/);

  // An export from a data dir that never published reads the trees from the bucket.
  const exported = join(dir, 'export');
  const exportRun = await runCli(join(dir, 'cli'), ['publish', 'export', exported, '--prefix', 'odd', 'd7'], { env });
  assert.equal(exportRun.status, 0, exportRun.text);
  const exportedIndex = await readFile(join(exported, 'dists/d7/main/binary-amd64/Packages'), 'utf8');
  assert.deepEqual([...exportedIndex.matchAll(/^Package: (.*)$/gm)].map((m) => m[1]).sort(), expectedNames(7 % REPOS));
  await readFile(join(exported, 'dists/d7/InRelease'));

  // A drop through B takes the dist out of the bucket; both Release names answer 404 once B asked the bucket again.
  assert.equal((await api(b.url, 'DELETE', '/api/publish/d9?prefix=odd')).status, 200);
  const left = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'site/public/odd/dists/d9/' }));
  assert.deepEqual(left.Contents ?? [], [], 'nothing of d9 left in the bucket');
  await sleep(1100);
  assert.equal((await fetch(`${b.url}/odd/dists/d9/InRelease`)).status, 404);
  assert.equal((await packagesOf(b.url, 'odd', 'd7')).names.length, DEBS / REPOS, 'the other dists of the prefix stay whole');
});

test('serving from the bucket: ETag, 304, Range, 404, damaged objects never a 200, and --redirect-to-storage', { skip, timeout: 120_000 }, async () => {
  const b = replicas[1] as ServeProcess;
  const inRelease = `${b.url}/odd/dists/d7/InRelease`;
  const whole = await fetch(inRelease);
  assert.equal(whole.status, 200);
  const body = Buffer.from(await whole.arrayBuffer());
  assert.equal(whole.headers.get('etag'), `"${createHash('sha256').update(body).digest('hex')}"`, 'the ETag is the SHA-256, the same on every replica');
  assert.equal((await fetch(inRelease, { headers: { 'If-None-Match': whole.headers.get('etag') ?? '' } })).status, 304);
  const part = await fetch(inRelease, { headers: { Range: 'bytes=5-14' } });
  assert.equal(part.status, 206);
  assert.deepEqual(Buffer.from(await part.arrayBuffer()), body.subarray(5, 15));
  assert.equal((await fetch(`${b.url}/odd/dists/d7/main/binary-amd64/Packages.bz2`)).status, 404);

  // Bytes changed behind debstash's back: a plain name (its stored SHA-256 no longer matches) and a by-hash name.
  const plain = 'site/public/odd/dists/d7/main/binary-amd64/Packages';
  const original = await bucketText(plain);
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: plain, Body: `${original ?? ''}Package: evil\n`, Metadata: { sha256: createHash('sha256').update(original ?? '').digest('hex') } }));
  const fake = createHash('sha256').update('x').digest('hex');
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `site/public/odd/dists/d7/main/binary-amd64/by-hash/SHA256/${fake}`, Body: 'y' }));
  await sleep(1100);
  for (const path of ['main/binary-amd64/Packages', `main/binary-amd64/by-hash/SHA256/${fake}`]) {
    const res = await fetch(`${b.url}/odd/dists/d7/${path}`);
    assert.equal(res.status, 500, path);
    assert.match(await res.text(), /DEBSTASH_E_TREE_DAMAGED/);
  }

  // A replica that redirects pool and by-hash paths to presigned URLs of the bucket.
  const c = await startServeProcess(await mkdtemp(join(dir, 'replica-c-')), { env, args: ['--redirect-to-storage'] });
  replicas.push(c);
  const ready = await fetch(`${c.url}/readyz`);
  assert.equal(ready.status, 200, `a replica that never published is ready: the InReleases are in the bucket (${await ready.text()})`);
  const { inRelease: text } = await packagesOf(c.url, 'even', 'd2');
  const release = parseRelease(Buffer.from(splitClearsigned(Buffer.from(text)).signed).toString('utf8'));
  const sha = release.sha256.get('main/binary-amd64/Packages')?.sha256 ?? '';
  const index = await (await fetch(`${c.url}/even/dists/d2/main/binary-amd64/by-hash/SHA256/${sha}`)).text();
  const filename = /^Filename: (.*)$/m.exec(index)?.[1] ?? '';
  const debSha = /^SHA256: (.*)$/m.exec(index)?.[1] ?? '';
  for (const [path, want] of [[`even/${filename}`, debSha], [`even/dists/d2/main/binary-amd64/by-hash/SHA256/${sha}`, sha]] as const) {
    const res = await fetch(`${c.url}/${path}`, { redirect: 'manual' });
    assert.equal(res.status, 302, path);
    const location = res.headers.get('location') ?? '';
    assert.ok(location.startsWith(swift.endpoint), location);
    const got = Buffer.from(await (await fetch(location)).arrayBuffer());
    assert.equal(createHash('sha256').update(got).digest('hex'), want, path);
  }
  assert.equal((await fetch(`${c.url}/even/pool/main/n/nothing/nothing_1_amd64.deb`, { redirect: 'manual' })).status, 404);
});
