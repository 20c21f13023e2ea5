import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { type ConfigFixture, configFixture } from '../config/config-fixture.js';
import { buildDeb } from '../helpers/build-deb.js';
import { freePort } from '../helpers/free-port.js';
import { postgresMissing, type PostgresServer, startPostgres } from '../helpers/postgres-server.js';
import { projectRoot } from '../helpers/project-root.js';
import { SERVING, startUp } from '../helpers/up-process.js';

const exec = promisify(execFile);

/**
 * A POST whose body is sent in two halves with `between` run in the gap: the server is
 * mid-request meanwhile. Resolves once both the answer and `between` are done (the server may
 * answer before the body is whole).
 */
async function slowUpload(url: string, token: string, body: Buffer, between: () => Promise<void>): Promise<{ status: number; body: string }> {
  let gap: Promise<void> = Promise.resolve();
  const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/vnd.debian.binary-package', 'Content-Length': body.length } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (s: string) => (text += s));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    const half = Math.floor(body.length / 2);
    req.write(body.subarray(0, half));
    gap = between();
    gap.then(
      () => req.end(body.subarray(half)),
      (err: unknown) => {
        req.destroy();
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
  await gap;
  return answer;
}

/** `base` is ready and answers the dist's Packages and a pool file it names (through the store). */
async function assertServes(base: string, dist: string): Promise<void> {
  assert.equal((await fetch(`${base}/readyz`)).status, 200);
  const packages = await fetch(`${base}/dists/${dist}/main/binary-amd64/Packages`);
  assert.equal(packages.status, 200);
  const filename = /^Filename: (.+)$/m.exec(await packages.text())?.[1] ?? '';
  assert.equal((await fetch(`${base}/${filename}`)).status, 200, 'a pool file through the store that came back');
}

describe('up and a PostgreSQL store or S3 endpoint that goes away', { skip: postgresMissing() }, () => {
  let pg: PostgresServer;
  let f: ConfigFixture;
  before(async () => {
    [pg, f] = await Promise.all([startPostgres(), configFixture()]);
  });
  after(async () => {
    await f?.close();
    await pg?.stop();
  });

  test('database down at start: /readyz 503 with the code, retried with backoff, ready and serving once it answers', async () => {
    const database = await pg.createDatabase('down_at_start');
    const config = await f.writeConfig(`${f.configText()}database: ${database}\n`);
    await pg.halt();
    const up = startUp(['--config', config, '--data-dir', join(f.dir, 'data-down'), 'up'], { DEBSTASH_DATABASE_URL: '' }, f.dir);
    try {
      const base = (await up.until(/waiting for the store: answering 503 on (http:\/\/127\.0\.0\.1:\d+)\//))[1] ?? '';
      assert.match(up.stderr(), /DEBSTASH_E_STORE_UNREACHABLE: /);
      assert.equal((await fetch(`${base}/healthz`)).status, 200, 'alive: an orchestrator must not restart it for the outage');
      const ready = await fetch(`${base}/readyz`);
      assert.equal(ready.status, 503);
      assert.match(await ready.text(), /^not ready: DEBSTASH_E_STORE_UNREACHABLE: /);
      const tree = await fetch(`${base}/dists/testing/InRelease`);
      assert.equal(tree.status, 503);
      assert.equal(((await tree.json()) as { error: { code: string } }).error.code, 'DEBSTASH_E_STORE_UNREACHABLE');
      await up.until(/still unreachable \(DEBSTASH_E_STORE_UNREACHABLE\), trying again in 2 s/);
      assert.ok(!up.stderr().includes(pg.password), 'the password is never logged');

      await pg.resume();
      assert.equal((await up.until(SERVING))[1], base, 'the real server takes the stand-in port');
      await up.until(/debstash: ready/);
      await assertServes(base, 'testing');
    } finally {
      assert.equal(await up.stop(), 0, up.stderr().slice(-2000));
    }
  });

  test('serve with the database down at start: the same wait, serving on its port once it answers; a refused login stops it at once', async () => {
    const database = await pg.createDatabase('serve_down_at_start');
    const data = join(f.dir, 'data-serve-down');
    const listen = `127.0.0.1:${await freePort()}`;
    const serve = (url: string): ReturnType<typeof startUp> => startUp(['--data-dir', data, 'serve', '--listen', listen], { DEBSTASH_DATABASE_URL: url, DEBSTASH_CONFIG: '' }, f.dir);
    const cli = (...args: string[]): Promise<{ stdout: string }> =>
      exec(process.execPath, [join(projectRoot, 'bin/debstash.js'), '--data-dir', data, ...args], { cwd: f.dir, env: { ...process.env, DEBSTASH_DATABASE_URL: database, DEBSTASH_CONFIG: '', DEBSTASH_KEY_PASSPHRASE: '' } });
    // A publish in the store (and its tree in the data dir) for serve to answer once the store is back.
    const publishing = (async () => {
      await cli('key', 'generate');
      await cli('repo', 'create', 'r');
      await cli('repo', 'add', 'r', await buildDeb(join(f.dir, 'debs-serve'), { name: 'served', version: '1', architecture: 'amd64' }, { compression: 'gzip' }));
      await cli('publish', 'repo', 'r', '--dist', 'stable');
    })();

    const refused = serve(pg.url('serve_down_at_start', 'wrong-s3cret'));
    assert.notEqual(await refused.exited(), 0, 'no wait mends a refused login');
    assert.match(refused.stderr(), /DEBSTASH_E_STORE_AUTH/);
    assert.doesNotMatch(refused.stderr(), /waiting for the store|wrong-s3cret|\n\s+at /);

    await publishing;
    await pg.halt();
    const down = serve(database);
    try {
      const base = (await down.until(/waiting for the store: answering 503 on (http:\/\/127\.0\.0\.1:\d+)\//))[1] ?? '';
      assert.equal(base, `http://${listen}`);
      assert.match(down.stderr(), /DEBSTASH_E_STORE_UNREACHABLE: /);
      const ready = await fetch(`${base}/readyz`);
      assert.equal(ready.status, 503);
      assert.match(await ready.text(), /^not ready: DEBSTASH_E_STORE_UNREACHABLE: /);
      assert.equal(((await (await fetch(`${base}/api/repos`)).json()) as { error: { code: string } }).error.code, 'DEBSTASH_E_STORE_UNREACHABLE');
      await down.until(/still unreachable \(DEBSTASH_E_STORE_UNREACHABLE\), trying again in 2 s/);
      assert.ok(!down.stderr().includes(pg.password), 'the password is never logged');

      await pg.resume();
      assert.equal((await down.until(SERVING))[1], base);
      await assertServes(base, 'stable');
    } finally {
      assert.equal(await down.stop(), 0, down.stderr().slice(-2000));
    }
  });

  test('database lost mid-upload: a coded error, nothing half-written, the old state served after it is back', async () => {
    const database = await pg.createDatabase('lost_mid_upload');
    const config = await f.writeConfig(`${f.configText()}database: ${database}\n`);
    const data = join(f.dir, 'data-lost');
    const cli = (...args: string[]): Promise<{ stdout: string; stderr: string }> =>
      exec(process.execPath, [join(projectRoot, 'bin/debstash.js'), '--config', config, '--data-dir', data, ...args], { cwd: f.dir, env: { ...process.env, DEBSTASH_DATABASE_URL: database } });
    const up = startUp(['--config', config, '--data-dir', data, 'up'], { DEBSTASH_DATABASE_URL: '' }, f.dir);
    try {
      const base = (await up.until(SERVING))[1] ?? '';
      await up.until(/debstash: ready/);
      const inRelease = await (await fetch(`${base}/dists/testing/InRelease`)).text();
      const { secret } = JSON.parse(await readFile(join(data, 'server.json'), 'utf8')) as { secret: string };
      await cli('repo', 'create', 'r');
      const deb = await readFile(await buildDeb(join(f.dir, 'debs-lost'), { name: 'late', version: '1', architecture: 'amd64' }, { compression: 'gzip' }));

      // The server has checked the repo and is receiving the body when the database goes.
      const lost = await slowUpload(`${base}/api/repos/r/packages`, secret, deb, async () => {
        await sleep(500);
        await pg.halt();
      });
      assert.equal(lost.status, 503, lost.body);
      assert.equal((JSON.parse(lost.body) as { error: { code: string } }).error.code, 'DEBSTASH_E_STORE_UNREACHABLE');

      await pg.resume();
      const shown = JSON.parse((await cli('repo', 'show', 'r', '--json')).stdout) as { packages: unknown[] };
      assert.deepEqual(shown.packages, [], 'the upload added nothing');
      const check = await cli('db', 'check');
      assert.match(check.stdout, /^store: postgres /m);
      assert.match(check.stdout, /, 0 missing, .*, 0 problems$/m);
      assert.equal(await (await fetch(`${base}/dists/testing/InRelease`)).text(), inRelease, 'the old publish is served');
      assert.equal((await fetch(`${base}/readyz`)).status, 200);
    } finally {
      assert.equal(await up.stop(), 0, up.stderr().slice(-2000));
    }
  });

  test('an S3 endpoint down at start: the same wait, coded DEBSTASH_E_STORAGE_UNREACHABLE; a stop while waiting exits 0', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const config = await f.writeConfig(f.configText());
    const up = startUp(['--config', config, '--data-dir', join(f.dir, 'data-no-s3'), 'up'], {
      DEBSTASH_DATABASE_URL: '',
      DEBSTASH_STORAGE_URL: `s3://pool/site?endpoint=${encodeURIComponent(dead)}&path_style=1`,
      AWS_ACCESS_KEY_ID: 'key',
      AWS_SECRET_ACCESS_KEY: 'secret',
    }, f.dir);
    const base = (await up.until(/waiting for the store: answering 503 on (http:\/\/127\.0\.0\.1:\d+)\//))[1] ?? '';
    const ready = await fetch(`${base}/readyz`);
    assert.equal(ready.status, 503);
    assert.match(await ready.text(), /^not ready: DEBSTASH_E_STORAGE_UNREACHABLE: /);
    const api = await fetch(`${base}/api/repos`);
    assert.equal(api.status, 503);
    assert.equal(((await api.json()) as { error: { code: string } }).error.code, 'DEBSTASH_E_STORAGE_UNREACHABLE');
    assert.equal(await up.stop(), 0, up.stderr().slice(-2000));
    assert.match(up.stderr(), /stopped while waiting for the store/);
    assert.doesNotMatch(up.stderr(), /\n\s+at /, 'no stack trace');
  });
});
