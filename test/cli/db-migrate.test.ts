import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { buildDeb } from '../helpers/build-deb.js';
import { postgresMissing } from '../helpers/postgres-server.js';
import { projectRoot } from '../helpers/project-root.js';
import { sharedPostgres, stopStoreBackends } from '../helpers/store-backends.js';

const exec = promisify(execFile);

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

describe('db migrate --to postgres://', { skip: postgresMissing() }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'debstash-migrate-'));
  });
  after(async () => {
    await stopStoreBackends();
    await rm(dir, { recursive: true, force: true });
  });

  const cli = (data: string, env: Record<string, string>, ...args: string[]): Promise<Run> =>
    exec(process.execPath, [join(projectRoot, 'bin/debstash.js'), '--local', '--data-dir', data, ...args], { env: { ...process.env, DEBSTASH_CONFIG: '', DEBSTASH_DATABASE_URL: '', ...env } }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );
  const ok = async (p: Promise<Run>): Promise<string> => {
    const r = await p;
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  };

  test('copies repos, snapshots, publishes and tokens; a second run changes nothing; another store in the target is refused', async () => {
    const pg = await sharedPostgres();
    const data = join(dir, 'data');
    await ok(cli(data, {}, 'key', 'generate', '--email', 'ops@example.org'));
    await ok(cli(data, {}, 'repo', 'create', 'r'));
    for (const [name, version] of [['one', '1.0'], ['one', '1.10'], ['two', '2']] as const) {
      await ok(cli(data, {}, 'repo', 'add', 'r', await buildDeb(join(dir, 'debs'), { name, version, architecture: 'amd64' }, { compression: 'gzip' })));
    }
    await ok(cli(data, {}, 'snapshot', 'create', 's', '--from-repo', 'r'));
    await ok(cli(data, {}, 'publish', 'snapshot', 's', '--dist', 'stable'));
    await ok(cli(data, {}, 'token', 'create', '--scope', 'read', '--name', 'reader'));
    const url = await pg.createDatabase('migrate_target');

    const first = await ok(cli(data, {}, 'db', 'migrate', '--to', url));
    assert.match(first, /^copied 0 mirrors, 1 repo, 1 snapshot, 1 publish, 1 token into postgres:\/\/debstash:\*\*\*@/);
    assert.ok(!first.includes(pg.password));
    assert.match(await ok(cli(data, {}, 'db', 'migrate', '--to', url)), /holds this store already .*nothing to do/);

    // The same answers from either store, in the same (dpkg) order.
    for (const args of [['snapshot', 'show', 's', '--json'], ['repo', 'show', 'r', '--json'], ['publish', 'list'], ['token', 'list']]) {
      assert.equal(await ok(cli(data, { DEBSTASH_DATABASE_URL: url }, ...args)), await ok(cli(data, {}, ...args)), args.join(' '));
    }

    const other = join(dir, 'other');
    await ok(cli(other, {}, 'repo', 'create', 'elsewhere'));
    const refused = await cli(other, {}, 'db', 'migrate', '--to', url);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /DEBSTASH_E_MIGRATE_TARGET/);
    assert.doesNotMatch(refused.stderr, new RegExp(`${pg.password}|\\n\\s+at `));
    const fromPg = await cli(data, { DEBSTASH_DATABASE_URL: url }, 'db', 'migrate', '--to', url);
    assert.equal(fromPg.code, 2, 'the source must be the embedded store');
  });
});
