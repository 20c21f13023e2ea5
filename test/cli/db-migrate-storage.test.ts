import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { FsPool } from '../../src/pool/fs-pool.js';
import { type ConfigFixture, configFixture } from '../config/config-fixture.js';
import { freePort } from '../helpers/free-port.js';
import { IsolatedApt } from '../helpers/isolated-apt.js';
import { postgresMissing } from '../helpers/postgres-server.js';
import { projectRoot } from '../helpers/project-root.js';
import { type ServeProcess, startServeProcess } from '../helpers/serve-process.js';
import { sharedPostgres, stopStoreBackends } from '../helpers/store-backends.js';
import { SWIFT_CREDENTIALS, SwiftS3Server } from '../helpers/swift-s3-server.js';

const exec = promisify(execFile);
const bin = join(projectRoot, 'bin/debstash.js');
const missing = SwiftS3Server.missing() ?? postgresMissing();
const BUCKET = 'migrate';
/** Unreferenced files beside the fixture's two packages: enough for a copy to be killed midway. */
const FILLER = 160;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

let f: ConfigFixture;
let swift: SwiftS3Server;
let serve: ServeProcess | undefined;
before(async () => {
  if (missing !== undefined) return;
  [f, swift] = await Promise.all([configFixture(), SwiftS3Server.start(), sharedPostgres()]);
  await swift.createBucket(BUCKET);
}, { timeout: 120_000 });
after(async () => {
  await serve?.stop();
  await f?.close();
  await swift?.stop();
  await stopStoreBackends();
});

const baseEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  DEBSTASH_KEY_PASSPHRASE: '',
  DEBSTASH_STORAGE_URL: '',
  DEBSTASH_DATABASE_URL: '',
  AWS_ACCESS_KEY_ID: SWIFT_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: SWIFT_CREDENTIALS.secretAccessKey,
  AWS_REGION: 'us-east-1',
});

// The two cases use their own data dirs and prefixes: run at once.
describe('db migrate --storage s3://', { concurrency: true }, () => {
  /**
   * `db migrate --to postgres://... --storage s3://...` on a data dir made by `apply` (a mirror,
   * a snapshot, a publish) plus unreferenced pool files: killed midway and run again it
   * completes, a third run copies nothing, `db check --deep` over the new backends is clean and
   * a real apt-get downloads through `serve` on them.
   */
  test('db migrate --storage: killed midway, resumed, idempotent; serve and apt on the migrated backends', { skip: missing ?? false, timeout: 180_000 }, async (t) => {
    const config = await f.writeConfig(f.configText());
    const data = await f.dataDir();
    const cli = (env: NodeJS.ProcessEnv, ...args: string[]): Promise<Run> =>
      exec(process.execPath, [bin, '--config', config, '--data-dir', data, ...args], { env: { ...baseEnv(), ...env } }).then(
        (r) => ({ code: 0, ...r }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
      );
    const ok = async (p: Promise<Run>): Promise<string> => {
      const r = await p;
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      return r.stdout;
    };
    await ok(cli({}, 'apply'));
    const local = await FsPool.open(join(data, 'pool'));
    await local.putMany(Array.from({ length: FILLER }, () => {
      const bytes = randomBytes(8192);
      return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
    }));
    const total = FILLER + 2;

    const pg = await sharedPostgres();
    const database = await pg.createDatabase('migrate_storage');
    const storage = `s3://${BUCKET}/site?endpoint=${encodeURIComponent(swift.endpoint)}&path_style=1`;
    const migrate = ['db', 'migrate', '--to', database, '--storage', storage];

    /** Runs the migration and sends `signal` once this run has copied `after` files; its exit code and stderr. */
    const interrupt = async (signal: NodeJS.Signals, after: number): Promise<{ code: number | null; stderr: string }> => {
      const child = spawn(process.execPath, [bin, '--config', config, '--data-dir', data, ...migrate, '--concurrency', '2'], { env: baseEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      let err = '';
      let sent = false;
      await new Promise<void>((resolve, reject) => {
        child.stderr?.setEncoding('utf8').on('data', (s: string) => {
          err += s;
          const copied = [...err.matchAll(/"type":"progress","phase":"pool","done":(\d+)/g)].map((m) => Number(m[1]));
          // Once: a second Ctrl-C means "exit now".
          if (copied.some((n) => n >= after) && !sent) {
            sent = true;
            child.kill(signal);
            resolve();
          }
        });
        void exited.then(() => reject(new Error(`db migrate ended before ${signal}: ${err.slice(-2000)}`)));
      });
      const code = await exited;
      t.diagnostic(`${signal} after: ${/\{[^\n]*"type":"progress"[^\n]*\}(?![\s\S]*"type":"progress")/.exec(err)?.[0] ?? ''}`);
      return { code, stderr: err };
    };
    // Ctrl-C: stops cleanly with a coded error; then killed (SIGKILL, no cleanup at all).
    const cancelled = await interrupt('SIGINT', 5);
    assert.equal(cancelled.code, 1, cancelled.stderr);
    assert.match(cancelled.stderr, /DEBSTASH_E_CANCELLED: pool copy interrupted after \d+ of 162 files/);
    assert.doesNotMatch(cancelled.stderr, /\n\s+at /, 'no stack trace');
    await interrupt('SIGKILL', 10);

    const second = await ok(cli({}, ...migrate));
    const resumed = /^pool: copied (\d+) files \(.*\) into s3:\/\/migrate\/site\/ at .*, (\d+) of (\d+) there already$/m.exec(second);
    assert.ok(resumed !== null, second);
    assert.equal(Number(resumed[3]), total);
    assert.ok(Number(resumed[2]) >= 15, `the interrupted runs' objects are kept: ${second}`);
    assert.equal(Number(resumed[1]) + Number(resumed[2]), total);
    assert.match(second, /^copied 1 mirror, 0 repos, 1 snapshot, 1 publish, 0 tokens, 1 signing key into postgres:\/\/debstash:\*\*\*@/m);
    assert.match(second, /^  DEBSTASH_DATABASE_URL=postgres:\/\/debstash:\*\*\*@/m);
    assert.ok(second.includes(`  DEBSTASH_STORAGE_URL=${storage} `), second);
    assert.ok(!second.includes(pg.password), 'the password is never printed');
    // The trees are the bucket's from now on: the publish is published into it once.
    assert.match(second, /^published trees: \S+ published into the bucket$/m);

    const third = await ok(cli({}, ...migrate));
    assert.match(third, new RegExp(`^pool: copied 0 files \\(0 B\\) into .*, ${total} of ${total} there already$`, 'm'));
    assert.match(third, /holds this store already .*nothing to do/);
    assert.match(third, /^published trees: every publish is in the bucket already$/m);

    const migrated = { DEBSTASH_DATABASE_URL: database, DEBSTASH_STORAGE_URL: storage };
    const deep = await ok(cli(migrated, 'db', 'check', '--deep'));
    assert.match(deep, /^store: postgres /m);
    assert.match(deep, /^storage: s3:\/\/migrate\/site\/ at /m);
    assert.match(deep, new RegExp(`^2 files referenced, 0 missing, ${FILLER} unreferenced \\(removed by "db cleanup"\\), 0 problems; re-hashed`, 'm'));

    // The migrated backends named as a replica names them: in the environment.
    serve = await startServeProcess(data, { env: { ...(baseEnv() as Record<string, string>), ...migrated } });
    const url = serve.url;
    const ready = await fetch(`${url}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal(ready.headers.get('x-debstash-store')?.startsWith('postgres '), true);
    const apt = await IsolatedApt.create(await (await fetch(`${url}/client/testing.sources`)).text());
    try {
      await apt.aptGet('update');
      await apt.aptGet('install', '-y', '--download-only', 'hello');
      const debs = (await readdir(join(apt.dir, 'var/cache/apt/archives'))).filter((n) => n.endsWith('.deb')).sort();
      assert.deepEqual(debs, ['hello_1.0-1_amd64.deb', 'libhello1_1.0-1_amd64.deb']);
    } finally {
      await apt.close();
    }
  });

  /** `--storage` alone (the store stays where it is) and the refusals, each a coded error and no copy. */
  test('db migrate --storage alone, and bad storage input', { skip: missing ?? false, timeout: 120_000 }, async () => {
    const data = await f.dataDir();
    const cli = (env: NodeJS.ProcessEnv, ...args: string[]): Promise<Run> =>
      exec(process.execPath, [bin, '--data-dir', data, ...args], { env: { ...baseEnv(), DEBSTASH_CONFIG: '', ...env } }).then(
        (r) => ({ code: 0, ...r }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
      );
    const local = await FsPool.open(join(data, 'pool'));
    const bytes = randomBytes(1000);
    await local.putMany([{ bytes, sha256: createHash('sha256').update(bytes).digest('hex') }]);
    const endpoint = encodeURIComponent(swift.endpoint);
    const alone = `s3://${BUCKET}/alone?endpoint=${endpoint}&path_style=1`;
    const dead = `http://127.0.0.1:${await freePort()}`;

    const [copied, badUrl, noBucket, unreachable, noTarget, fromS3] = await Promise.all([
      cli({}, 'db', 'migrate', '--storage', alone),
      cli({}, 'db', 'migrate', '--storage', 'https://example.invalid/bucket'),
      cli({}, 'db', 'migrate', '--storage', `s3://no-such-bucket/x?endpoint=${endpoint}&path_style=1`),
      cli({}, 'db', 'migrate', '--storage', `s3://${BUCKET}/x?endpoint=${encodeURIComponent(dead)}&path_style=1`),
      cli({}, 'db', 'migrate'),
      cli({ DEBSTASH_STORAGE_URL: alone }, 'db', 'migrate', '--storage', alone),
    ]);
    assert.equal(copied.code, 0, copied.stderr);
    assert.match(copied.stdout, /^pool: copied 1 file \(1\.0 kB\) into s3:\/\/migrate\/alone\/ at .*, 0 of 1 there already$/m);
    assert.doesNotMatch(copied.stdout, /DEBSTASH_DATABASE_URL|copied \d+ mirror/, 'the store stays where it is');
    const check = await cli({ DEBSTASH_STORAGE_URL: alone }, 'db', 'check');
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout, /^store: sqlite /m);
    assert.match(check.stdout, /^0 files referenced, 0 missing, 1 unreferenced/m);

    for (const [r, code, exit] of [[badUrl, 'DEBSTASH_E_STORAGE_BAD_URL', 2], [noBucket, 'DEBSTASH_E_STORAGE_BUCKET_MISSING', 1], [unreachable, 'DEBSTASH_E_STORAGE_UNREACHABLE', 1], [noTarget, 'DEBSTASH_E_USAGE', 2], [fromS3, 'DEBSTASH_E_USAGE', 2]] as const) {
      assert.equal(r.code, exit, `${code}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(code));
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
  });
});
