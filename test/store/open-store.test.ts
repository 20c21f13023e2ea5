import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { closeContext, openEmbeddedContext } from '../../src/model/context.js';
import { startServer } from '../../src/server/start-server.js';
import { openStore } from '../../src/store/open-store.js';
import { rejectsWith } from '../helpers/coded-error.js';
import { freePort } from '../helpers/free-port.js';
import { postgresMissing } from '../helpers/postgres-server.js';
import { projectRoot } from '../helpers/project-root.js';
import { sharedPostgres, stopStoreBackends } from '../helpers/store-backends.js';

const run = promisify(execFile);
let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'debstash-open-store-'));
});
after(async () => {
  await stopStoreBackends();
  await rm(dir, { recursive: true, force: true });
});

test('no URL anywhere: the embedded SQLite file of the data dir', async () => {
  const store = await openStore({ dataDir: dir, env: {} });
  try {
    assert.equal(store.kind, 'sqlite');
    assert.equal(store.location, join(dir, 'debstash.sqlite'));
  } finally {
    await store.close();
  }
});

test('a URL that is not postgres:// is refused before anything connects, without its password', async () => {
  for (const url of ['mysql://u:s3cret@h/db', 'postgres://u:s3cret@/db', 'not a url s3cret']) {
    await assert.rejects(
      openStore({ dataDir: dir, env: { DEBSTASH_DATABASE_URL: url } }),
      rejectsWith('DEBSTASH_E_CONFIG_DATABASE_URL', (e) => assert.doesNotMatch(JSON.stringify({ m: e.message, d: e.details }), /s3cret/)),
    );
  }
  await assert.rejects(openStore({ dataDir: dir, database: 'sqlite:///x', env: {} }), rejectsWith('DEBSTASH_E_CONFIG_DATABASE_URL', /database: in debstash\.yaml/));
});

test('nothing listens at the URL: DEBSTASH_E_STORE_UNREACHABLE, the password redacted', async () => {
  const port = await freePort();
  await assert.rejects(
    openStore({ dataDir: dir, env: { DEBSTASH_DATABASE_URL: `postgres://u:s3cret@127.0.0.1:${port}/db` } }),
    rejectsWith('DEBSTASH_E_STORE_UNREACHABLE', (e) => {
      assert.match(e.message, /postgres:\/\/u:\*\*\*@127\.0\.0\.1/);
      assert.doesNotMatch(JSON.stringify({ m: e.message, d: e.details }), /s3cret/);
    }),
  );
});

describe('with a PostgreSQL server', { skip: postgresMissing() }, () => {
  test('DEBSTASH_DATABASE_URL wins over database: of debstash.yaml; a wrong password is DEBSTASH_E_STORE_AUTH', async () => {
    const pg = await sharedPostgres();
    const url = await pg.createDatabase('open_env');
    const store = await openStore({ dataDir: dir, database: 'postgres://x:y@127.0.0.1:1/never', env: { DEBSTASH_DATABASE_URL: url } });
    try {
      assert.equal(store.kind, 'postgres');
      assert.equal(store.location, url.replace(pg.password, '***'));
    } finally {
      await store.close();
    }
    const fromYaml = await openStore({ dataDir: dir, database: url, env: {} });
    await fromYaml.close();
    assert.equal(fromYaml.kind, 'postgres');
    await assert.rejects(
      openStore({ dataDir: dir, env: { DEBSTASH_DATABASE_URL: pg.url('open_env', 'wrong-s3cret') } }),
      rejectsWith('DEBSTASH_E_STORE_AUTH', (e) => assert.doesNotMatch(JSON.stringify({ m: e.message, d: e.details }), /wrong-s3cret/)),
    );
  });

  test('db check prints the store with the password redacted; /readyz names it; a refused login is one coded line', async () => {
    const pg = await sharedPostgres();
    const url = await pg.createDatabase('open_cli');
    const cli = (env: Record<string, string>, ...args: string[]) =>
      run(process.execPath, [join(projectRoot, 'bin/debstash.js'), '--local', '--data-dir', join(dir, 'cli'), ...args], { env: { ...process.env, DEBSTASH_CONFIG: '', ...env } }).catch(
        (err: { code: number; stdout: string; stderr: string }) => ({ ...err, failed: true }),
      );
    const check = await cli({ DEBSTASH_DATABASE_URL: url }, 'db', 'check');
    assert.match(check.stdout, new RegExp(`^store: postgres postgres://debstash:\\*\\*\\*@127\\.0\\.0\\.1:${pg.port}/open_cli$`, 'm'));
    assert.ok(!check.stdout.includes(pg.password) && !check.stderr.includes(pg.password));
    const refused = await cli({ DEBSTASH_DATABASE_URL: pg.url('open_cli', 'wrong-s3cret') }, 'repo', 'list');
    assert.ok('failed' in refused);
    assert.match(refused.stderr, /DEBSTASH_E_STORE_AUTH/);
    assert.doesNotMatch(refused.stderr + refused.stdout, /wrong-s3cret|\n\s+at /);

    const ctx = await openEmbeddedContext(join(dir, 'srv'), url);
    try {
      const server = await startServer(ctx, { host: '127.0.0.1', port: 0 });
      try {
        const res = await fetch(`${server.url}/readyz`);
        assert.equal(res.headers.get('x-debstash-store'), `postgres ${url.replace(pg.password, '***')}`);
      } finally {
        await server.close();
      }
    } finally {
      await closeContext(ctx);
    }
  });
});
