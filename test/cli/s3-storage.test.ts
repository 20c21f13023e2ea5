import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { type ConfigFixture, configFixture } from '../config/config-fixture.js';
import { freePort } from '../helpers/free-port.js';
import { IsolatedApt } from '../helpers/isolated-apt.js';
import { projectRoot } from '../helpers/project-root.js';
import { SWIFT_CREDENTIALS, SwiftS3Server } from '../helpers/swift-s3-server.js';

const run = promisify(execFile);
const bin = join(projectRoot, 'bin/debstash.js');
const swiftMissing = SwiftS3Server.missing();
const BUCKET = 'e2e';

let f: ConfigFixture;
let swift: SwiftS3Server;
let serve: ChildProcess | undefined;
before(async () => {
  if (swiftMissing !== undefined) return;
  [f, swift] = await Promise.all([configFixture(), SwiftS3Server.start()]);
  await swift.createBucket(BUCKET);
}, { timeout: 120_000 });
after(async () => {
  if (serve?.exitCode === null) {
    const exited = new Promise((resolve) => serve?.once('exit', resolve));
    serve.kill('SIGTERM');
    await exited;
  }
  await f?.close();
  await swift?.stop();
});

/**
 * The pool on S3 end to end, through the CLI as a user runs it: `storage:` in debstash.yaml
 * (endpoint and path-style as query parameters, credentials from the AWS variables), apply
 * (mirror create + update, snapshot, publish), `serve`, a real apt client, `db check`,
 * `publish export`, and `db cleanup`'s protection of recently stored objects.
 */
test('mirror update and publish with the pool on S3; apt-get installs through debstash serve', { skip: swiftMissing ?? false, timeout: 300_000 }, async (t) => {
  const storage = `s3://${BUCKET}/site?endpoint=${encodeURIComponent(swift.endpoint)}&path_style=1`;
  const config = await f.writeConfig(`${f.configText()}storage: "${storage}"\n`);
  const data = await f.dataDir();
  const env = { ...process.env, DEBSTASH_KEY_PASSPHRASE: '', DEBSTASH_STORAGE_URL: '', AWS_ACCESS_KEY_ID: SWIFT_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: SWIFT_CREDENTIALS.secretAccessKey, AWS_REGION: 'us-east-1' };
  const cli = async (...args: string[]): Promise<string> => {
    const started = performance.now();
    const r = await run(process.execPath, [bin, '--config', config, '--data-dir', data, ...args], { env });
    t.diagnostic(`${args.join(' ')}: ${(performance.now() - started).toFixed(0)} ms`);
    assert.doesNotMatch(r.stderr, /NodeVersionSupportWarning/, 'no SDK warning reaches the user');
    return r.stdout;
  };

  await cli('apply');
  const s3 = swift.client(6); // retried: Swift answers 503 SlowDown on a loaded machine
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'site/pool/' }));
  const keys = (listed.Contents ?? []).map((o) => o.Key ?? '');
  assert.equal(keys.length, 2, 'hello and libhello1, nothing else');
  for (const k of keys) assert.match(k, /^site\/pool\/([0-9a-f]{2})\/\1[0-9a-f]{62}$/);
  await assert.rejects(access(join(data, 'pool')), 'nothing in a local pool');
  s3.destroy();

  const check = await cli('db', 'check');
  assert.match(check, new RegExp(`^storage: s3://${BUCKET}/site/ at ${swift.endpoint.replace(/[.]/g, '\\.')} \\(path-style\\)$`, 'm'));
  assert.match(check, /^2 files referenced, 0 missing, 0 unreferenced/m);
  assert.match(check, /^store: sqlite /m, 'the store line stays next to the storage line');
  assert.match(await cli('db', 'check', '--deep'), /^2 files referenced, 0 missing, 0 unreferenced \(removed by "db cleanup"\), 0 problems; re-hashed \d+ files/m, "the 2 pool objects and the published indexes");

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  serve = spawn(process.execPath, [bin, '--config', config, '--data-dir', data, 'serve', '--listen', `127.0.0.1:${port}`], { env, stdio: 'ignore' });
  for (let i = 0; ; i++) {
    const ok = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (ok) break;
    assert.ok(i < 200 && serve.exitCode === null, 'serve came up');
    await sleep(50);
  }
  const ready = await fetch(`${url}/readyz`);
  assert.equal(ready.status, 200);
  assert.match(await ready.text(), /^storage: s3:\/\/e2e\/site\/ at /m);

  const apt = await IsolatedApt.create(await (await fetch(`${url}/client/testing.sources`)).text());
  try {
    await apt.aptGet('update');
    const out = await apt.aptGet('install', '-y', '--download-only', 'hello');
    assert.match(out.stdout, /Download complete and in download only mode/);
    const debs = (await readdir(join(apt.dir, 'var/cache/apt/archives'))).filter((n) => n.endsWith('.deb')).sort();
    assert.deepEqual(debs, ['hello_1.0-1_amd64.deb', 'libhello1_1.0-1_amd64.deb']);

    // A Range request and a revalidation of a pool file streamed from S3.
    const whole = await readFile(join(apt.dir, 'var/cache/apt/archives', debs[0] ?? ''));
    const poolUrl = `${url}/pool/main/h/hello/hello_1.0-1_amd64.deb`;
    const full = await fetch(poolUrl);
    assert.equal(full.status, 200);
    assert.deepEqual(Buffer.from(await full.arrayBuffer()), whole);
    const etag = full.headers.get('etag') ?? '';
    assert.ok(etag !== '', 'an ETag');
    const part = await fetch(poolUrl, { headers: { Range: 'bytes=10-29' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 10-29/${whole.length}`);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), whole.subarray(10, 30));
    assert.equal((await fetch(poolUrl, { headers: { 'If-None-Match': etag } })).status, 304);
  } finally {
    await apt.close();
  }

  // An export has no local pool to link from: copies, each hashed on the way.
  const exportDir = join(f.dir, 'export');
  assert.match(await cli('publish', 'export', exportDir), /2 pool files added \(2 copied\)/);
  const exported = await readFile(join(exportDir, 'pool/main/h/hello/hello_1.0-1_amd64.deb'));
  assert.equal(createHash('sha256').update(exported).digest('hex').length, 64);
  assert.match(await cli('publish', 'export', exportDir), /0 pool files added \(0 copied\), 2 kept/, 'a second export downloads nothing');
  await rm(exportDir, { recursive: true, force: true });

  // Nothing refers to the objects any more: cleanup keeps them while they are recent (their
  // LastModified), and --min-age 0 removes them.
  const exited = new Promise((resolve) => serve?.once('exit', resolve));
  serve.kill('SIGTERM');
  await exited;
  await cli('publish', 'drop', 'testing');
  await cli('snapshot', 'drop', 'testing-1');
  await cli('mirror', 'drop', 'testing');
  assert.match(await cli('db', 'check'), /^0 files referenced, 0 missing, 2 unreferenced/m);

  // An object replaced behind debstash's back: --deep reads it through the pool, whose
  // whole-object read checks the hash, and names it.
  const damagedKey = keys[0] ?? '';
  const damaged = swift.client(6);
  try {
    await damaged.send(new PutObjectCommand({ Bucket: BUCKET, Key: damagedKey, Body: Buffer.from('not the package') }));
  } finally {
    damaged.destroy();
  }
  const deep = await run(process.execPath, [bin, '--config', config, '--data-dir', data, 'db', 'check', '--deep'], { env }).then(
    () => assert.fail('db check --deep passed over a damaged object'),
    (err: { code?: number; stdout?: string }) => err,
  );
  assert.equal(deep.code, 1);
  const sha = damagedKey.slice(damagedKey.lastIndexOf('/') + 1);
  assert.match(deep.stdout ?? '', new RegExp(`^  pool-hash ${sha}: expected sha256:${sha}, found sha256:${createHash('sha256').update('not the package').digest('hex')}$`, 'm'));

  assert.match(await cli('db', 'cleanup'), /^deleted 0 unreferenced files, freed 0 B, kept 2 stored within --min-age 1h$/m);
  assert.match(await cli('db', 'cleanup', '--min-age', '0', '--dry-run'), /^would delete 2 unreferenced files, freeing .* \(\d+ bytes\)$/m);
  assert.match(await cli('db', 'cleanup', '--min-age', '0'), /^deleted 2 unreferenced files, freed /m);
  assert.match(await cli('db', 'check'), /^0 files referenced, 0 missing, 0 unreferenced/m);
});
