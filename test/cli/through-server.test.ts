import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildDeb } from '../helpers/build-deb.js';
import { projectRoot } from '../helpers/project-root.js';
import { FILTER, type MirrorFixture, mirrorFixture } from '../model/mirror-fixture.js';

const bin = join(projectRoot, 'bin/debstash.js');

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function cli(dataDir: string, args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, DEBSTASH_DATA_DIR: dataDir, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Dates differ between two runs (and so does the hash of a Release, which has its Date); everything else must not. */
const normal = (text: string): string => text.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, 'DATE').replace(/"releaseSha256": "[0-9a-f]{64}"/g, '"releaseSha256": "SHA"');
/** stderr less the -v notes about which way the command went. */
const errors = (text: string): string =>
  text
    .split('\n')
    .filter((l) => !/^debstash: (through the server|server\.json)/.test(l))
    .join('\n');

async function until<T>(what: string, fn: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as { port: number }).port;
  s.close();
  await once(s, 'close');
  return port;
}

describe('commands through a running serve (issue 12 item 4)', () => {
  let dir: string;
  let served: string;
  let plain: string;
  let server: ChildProcess;
  let url: string;
  let debs: string[];
  let fx: MirrorFixture;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'debstash-through-'));
    served = join(dir, 'served');
    plain = join(dir, 'plain');
    fx = await mirrorFixture();
    const spec = (name: string, version: string): Promise<string> => buildDeb(join(dir, 'debs'), { name, version, architecture: 'amd64' }, { compression: 'xz' });
    debs = [await spec('one', '1.0'), await spec('two', '1.0'), await spec('three', '1.0'), await spec('four', '1.0')];
    // One key in both data dirs, so both sign alike and the outputs can be compared whole.
    assert.equal((await cli(served, ['key', 'generate', '--name', 'Through Test'])).status, 0);
    // Keys live in the store: the data dir, still holding nothing else, is copied whole.
    await cp(served, plain, { recursive: true });
    server = spawn(process.execPath, [bin, 'serve', '--listen', '127.0.0.1:0'], { env: { ...process.env, DEBSTASH_DATA_DIR: served }, stdio: ['ignore', 'ignore', 'ignore'] });
    const file = await until('server.json', async () => readFile(join(served, 'server.json'), 'utf8').catch(() => undefined));
    url = (JSON.parse(file) as { url: string }).url;
  });

  after(async () => {
    if (server.exitCode === null) {
      server.kill('SIGTERM');
      await once(server, 'exit');
    }
    await fx.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('server.json is private to the owner and names the server', async () => {
    const st = await stat(join(served, 'server.json'));
    assert.equal(st.mode & 0o777, 0o600);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  test('publish, snapshot create and repo add give the same output and exit codes through the server as locally', async () => {
    for (const d of [served, plain]) assert.equal((await cli(d, ['repo', 'create', 'r'])).status, 0);
    const steps: string[][] = [
      ['repo', 'add', 'r', debs[0] ?? '', debs[1] ?? ''],
      ['--json', 'snapshot', 'create', 's1', '--from-repo', 'r'],
      ['publish', 'snapshot', 's1', '--dist', 'd1'],
      ['--json', 'repo', 'add', 'r', debs[2] ?? '', debs[0] ?? ''],
      ['snapshot', 'create', 's2', '--from-repo', 'r'],
      ['--json', 'publish', 'switch', 'd1', 's2'],
      ['publish', 'repo', 'r', '--dist', 'd2', '--prefix', 'p', '--origin', 'Us', '--contents'],
      ['repo', 'add', 'r', join(dir, 'debs')],
      ['--json', 'publish', 'update', 'd2', '--prefix', 'p'],
      // Failures: the same code, message and exit code.
      ['publish', 'snapshot', 'missing', '--dist', 'd3'],
      ['--json', 'publish', 'snapshot', 'missing', '--dist', 'd3'],
      ['snapshot', 'create', 's1', '--from-repo', 'r'],
      ['repo', 'add', 'nothere', debs[0] ?? ''],
      ['repo', 'add', 'r', join(dir, 'no-such.deb')],
      ['publish', 'switch', 'd9', 's1'],
    ];
    for (const args of steps) {
      const through = await cli(served, ['-v', ...args]);
      const local = await cli(plain, ['-v', ...args]);
      const what = args.join(' ');
      assert.match(through.stderr, /through the server at http:\/\/127\.0\.0\.1:/, `${what}: went through the server`);
      assert.doesNotMatch(local.stderr, /through the server/, `${what}: ran locally`);
      assert.equal(through.status, local.status, `${what}: exit code\n${through.stderr}\n${local.stderr}`);
      assert.equal(normal(through.stdout), normal(local.stdout), `${what}: stdout`);
      assert.equal(normal(errors(through.stderr)), normal(errors(local.stderr)), `${what}: stderr`);
    }
    // The server's own data dir holds what was done through it.
    const list = await cli(served, ['--json', 'publish', 'list']);
    assert.deepEqual((JSON.parse(list.stdout) as { dist: string }[]).map((p) => p.dist).sort(), ['d1', 'd2']);
    // --export writes into this machine's directories: such a publish runs here, and cannot go to --server.
    const exported = await cli(served, ['-v', 'publish', 'update', 'd2', '--prefix', 'p', '--export', join(dir, 'export')]);
    assert.equal(exported.status, 0, exported.stderr);
    assert.match(exported.stderr, /--export is set: running here/);
    assert.match(exported.stdout, /^exported to /m);
    assert.equal((await cli(served, ['--server', url, 'publish', 'update', 'd2', '--prefix', 'p', '--export', join(dir, 'export')])).status, 2);
    // --local goes to the data dir even with the server running.
    const forced = await cli(served, ['-v', '--local', 'snapshot', 'create', 's3', '--from-repo', 'r']);
    assert.equal(forced.status, 0, forced.stderr);
    assert.doesNotMatch(forced.stderr, /through the server/);
  });

  test('mirror update through the server streams progress to the same renderer and gives the same result', async () => {
    const create = ['mirror', 'create', 'm', fx.server.url, 'testing', 'main', 'contrib', '--arch', 'amd64,i386', '--filter', FILTER, '--with-deps', '--keyring', fx.key.keyring];
    for (const d of [served, plain]) assert.equal((await cli(d, create)).status, 0);
    for (const args of [['mirror', 'update', 'm', '--dry-run'], ['mirror', 'update', 'm'], ['--json', 'mirror', 'update', 'm']]) {
      const through = await cli(served, args);
      const local = await cli(plain, args);
      assert.equal(through.status, 0, through.stderr);
      assert.equal(local.status, 0, local.stderr);
      assert.equal(normal(through.stdout), normal(local.stdout), `${args.join(' ')}: stdout`);
      // Not a terminal: JSON lines, the same phases and warnings in the same order. Where the
      // download counters fall among them is timing (downloads start while indexes are read).
      const events = (r: Run): { type: string; phase?: string }[] => r.stderr.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; phase?: string });
      const phases = (r: Run): string[] => events(r).filter((e) => e.type !== 'progress').map((e) => (e.type === 'phase' ? `phase ${e.phase}` : e.type));
      assert.deepEqual(phases(through), phases(local), `${args.join(' ')}: progress events`);
      assert.equal(events(through).some((e) => e.type === 'progress'), events(local).some((e) => e.type === 'progress'), `${args.join(' ')}: counters`);
    }
    const update = await cli(served, ['mirror', 'update', 'm', '--force']);
    assert.ok(update.stderr.includes('"type":"warning"') && update.stderr.includes('missing-package (>= 2)'), update.stderr);
  });

  test('a wrong token is the coded auth error, not a stack trace', async () => {
    const human = await cli(plain, ['--server', url, 'snapshot', 'create', 'x', '--from-repo', 'r'], { DEBSTASH_TOKEN: 'dst_wrong' });
    assert.equal(human.status, 1);
    assert.match(human.stderr, /^debstash: DEBSTASH_E_UNAUTHORIZED: the token is not valid/);
    assert.doesNotMatch(human.stderr, /\n\s+at /);
    const json = await cli(plain, ['--json', '--server', url, 'publish', 'update', 'd1'], { DEBSTASH_TOKEN: '' });
    assert.equal(json.status, 1);
    assert.equal((JSON.parse(json.stdout) as { error: { code: string } }).error.code, 'DEBSTASH_E_UNAUTHORIZED');
    const gone = await cli(plain, ['--server', `http://127.0.0.1:${await closedPort()}`, 'snapshot', 'create', 'x', '--from-repo', 'r']);
    assert.equal(gone.status, 1);
    assert.match(gone.stderr, /^debstash: DEBSTASH_E_SERVER_UNREACHABLE: /);
    const both = await cli(plain, ['--server', url, '--local', 'snapshot', 'create', 'x', '--from-repo', 'r']);
    assert.equal(both.status, 2);
  });

  test('a stale server.json (dead pid, refused connection) falls back to the local path; -v says so', async () => {
    const stale = join(dir, 'stale');
    assert.equal((await cli(stale, ['repo', 'create', 'r'])).status, 0);
    const dead = spawn(process.execPath, ['-e', '']);
    await once(dead, 'exit');
    const port = await closedPort();
    const cases = [
      { pid: dead.pid ?? 0, note: /which is gone: running locally/ },
      { pid: process.pid, note: /refuses connections: running locally/ },
    ];
    for (const [i, c] of cases.entries()) {
      await writeFile(join(stale, 'server.json'), JSON.stringify({ url: `http://127.0.0.1:${port}`, pid: c.pid, secret: 'dst_local_x' }), { mode: 0o600 });
      const quiet = await cli(stale, ['snapshot', 'create', `q${i}`, '--from-repo', 'r']);
      assert.equal(quiet.status, 0, quiet.stderr);
      assert.equal(quiet.stderr, '');
      assert.match(quiet.stdout, new RegExp(`^created snapshot q${i}: 0 packages`));
      const told = await cli(stale, ['-v', 'snapshot', 'create', `v${i}`, '--from-repo', 'r']);
      assert.equal(told.status, 0, told.stderr);
      assert.match(told.stderr, c.note);
    }
  });

  test('stopping the server removes its server.json', async () => {
    server.kill('SIGTERM');
    await once(server, 'exit');
    await assert.rejects(stat(join(served, 'server.json')), { code: 'ENOENT' });
  });
});
