import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { buildDeb } from '../helpers/build-deb.js';
import { flipByte } from '../helpers/flip-byte.js';
import { IsolatedApt } from '../helpers/isolated-apt.js';
import { projectRoot } from '../helpers/project-root.js';
import { isRunning, type ServeProcess, startServeProcess } from '../helpers/serve-process.js';
import { tryApt } from '../publish/publish-fixture.js';

const run = promisify(execFile);
const bin = join(projectRoot, 'bin/debstash.js');
const IN_RELEASE = '/dists/stable/InRelease';

/** One GET on a connection of its own (so the cluster hands it to the next worker). */
function fetchOnce(url: string): Promise<{ status: number; worker: string | undefined; body: Buffer }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, worker: res.headers['x-debstash-worker'] as string | undefined, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

/** The workers that answer `n` fresh connections. */
async function workersSeen(url: string, n: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const r = await fetchOnce(`${url}${IN_RELEASE}`);
    assert.equal(r.status, 200);
    seen.add(r.worker ?? 'none');
  }
  return seen;
}

/** The InRelease request count of /metrics. */
async function inReleaseCount(url: string): Promise<number> {
  const text = (await fetchOnce(`${url}/metrics`)).body.toString('utf8');
  const m = /^debstash_http_requests_total\{route="\/dists\/\*\/InRelease",status="200"\} (\d+)$/m.exec(text);
  return Number(m?.[1] ?? 0);
}

/** Polls (every 50 ms, at most `ms`) until `probe` gives a value. */
async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, ms: number, what: string): Promise<T> {
  for (const end = Date.now() + ms; Date.now() <= end; ) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what}: nothing after ${ms} ms`);
}

/** The pid of worker `n` from the primary's "listening" lines (the latest one: a restarted worker). */
function workerPid(serve: ServeProcess, n: number): number | undefined {
  return serve.log.filter((l) => l.worker === n && typeof l.msg === 'string' && l.msg.endsWith('listening')).at(-1)?.workerPid as number | undefined;
}

describe('serve --workers 2: worker processes serve the tree, the primary the rest', () => {
  let dir: string;
  let dataDir: string;
  let deb: Buffer;
  let largeDeb: Buffer;
  let serve: ServeProcess;
  const pids = new Set<number>();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'debstash-serve-cluster-'));
    dataDir = join(dir, 'data');
    const env = { ...process.env, DEBSTASH_DATA_DIR: dataDir };
    const cli = (...args: string[]): Promise<unknown> => run(process.execPath, [bin, '-q', ...args], { env });
    const hello = await buildDeb(join(dir, 'debs'), { name: 'hello', version: '1.0', architecture: 'amd64', files: { 'usr/share/doc/hello/README': 'hello\n' } }, { compression: 'gzip' });
    deb = await readFile(hello);
    // Over the 256 KiB slice: from memory (its second request on) it is sent slice by slice.
    const large = await buildDeb(join(dir, 'debs'), { name: 'large', version: '1.0', architecture: 'amd64', files: { 'usr/share/large/blob': { randomBytes: 2 ** 20 } } }, { compression: 'none' });
    largeDeb = await readFile(large);
    await cli('key', 'generate');
    await cli('repo', 'create', 'main');
    await cli('repo', 'add', 'main', hello, large);
    await cli('publish', 'repo', 'main', '--dist', 'stable');
    serve = await startServeProcess(dataDir, { args: ['--workers', '2'] });
    for (const n of [1, 2]) pids.add(await waitFor(() => workerPid(serve, n), 5000, `worker ${n}'s pid`));
  });
  after(async () => {
    const exit = await serve?.stop();
    // Nothing left behind: every worker that ever ran is gone with the primary.
    for (const pid of pids) await waitFor(() => (isRunning(pid) ? undefined : true), 5000, `worker pid ${pid} gone`);
    await rm(dir, { recursive: true, force: true });
    assert.deepEqual(exit, { code: 0, signal: null }, serve?.stderr());
  });

  test('both workers answer, each saying which it is; the primary answers through them', async () => {
    assert.deepEqual([...(await workersSeen(serve.url, 6))].sort(), ['1', '2']);
    const health = await fetchOnce(`${serve.url}/healthz`);
    assert.equal(health.status, 200);
    assert.match(health.worker ?? '', /^[12]$/);
    const key = await fetchOnce(`${serve.url}/key.asc`);
    assert.match(key.body.toString('utf8'), /BEGIN PGP PUBLIC KEY BLOCK/);
  });

  test('apt-get update and a download through the workers', async () => {
    const sources = await fetchOnce(`${serve.url}/client/stable.sources`);
    assert.equal(sources.status, 200);
    const apt = await IsolatedApt.create(sources.body.toString('utf8'));
    try {
      const update = await tryApt(apt, 'update');
      assert.ok(update.ok, update.out);
      const download = await tryApt(apt, 'install', '--download-only', '-y', 'hello');
      assert.ok(download.ok, download.out);
      const got = await readFile(join(apt.dir, 'var/cache/apt/archives/hello_1.0_amd64.deb'));
      assert.equal(createHash('sha256').update(got).digest('hex'), createHash('sha256').update(deb).digest('hex'));
    } finally {
      await apt.close();
    }
  });

  test('a file larger than a slice: whole and in ranges, from disk and from memory, the same bytes', async () => {
    const url = `${serve.url}/pool/main/l/large/large_1.0_amd64.deb`;
    const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
    // Each worker reads it from disk, then keeps it (second request), then sends it from memory.
    for (let i = 0; i < 6; i++) {
      const r = await fetchOnce(url);
      assert.equal(r.status, 200);
      assert.equal(sha(r.body), sha(largeDeb));
    }
    const from = 300_000;
    const part = await new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
      get(url, { agent: false, headers: { Range: `bytes=${from}-` } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      }).on('error', reject);
    });
    assert.equal(part.status, 206);
    assert.equal(sha(part.body), sha(largeDeb.subarray(from)));
  });

  test('a pool file damaged on disk: every worker refuses it (DEBSTASH_E_TREE_DAMAGED), counted in the summed /metrics; repaired, served again', async () => {
    const url = `${serve.url}/pool/main/h/hello/hello_1.0_amd64.deb`;
    const damaged = async (): Promise<number> => {
      const text = (await fetchOnce(`${serve.url}/metrics`)).body.toString('utf8');
      return Number(/^debstash_tree_damaged_total\{route="\/pool\/\*"\} (\d+)$/m.exec(text)?.[1] ?? 0);
    };
    // Both workers have it in memory first: a damaged file is not sent from there either.
    for (let i = 0; i < 4; i++) assert.equal((await fetchOnce(url)).status, 200);
    const before = await damaged();
    const path = join(dataDir, 'pool', createHash('sha256').update(deb).digest('hex').replace(/^(..)(..)/, '$1/$2/$1$2'));
    const stored = await readFile(path).catch(() => undefined);
    assert.ok(stored?.equals(deb), `the pool file of hello is not at ${path}`);
    await flipByte(path, { keepMtime: true });
    try {
      const seen = new Set<string>();
      for (let i = 0; i < 4; i++) {
        const r = await fetchOnce(url);
        assert.equal(r.status, 500);
        assert.match(r.body.toString('utf8'), /^DEBSTASH_E_TREE_DAMAGED/);
        seen.add(r.worker ?? 'none');
      }
      assert.deepEqual([...seen].sort(), ['1', '2']);
      await waitFor(async () => ((await damaged()) === before + 4 ? true : undefined), 5000, 'tree_damaged +4');
    } finally {
      await writeFile(path, deb);
    }
    for (let i = 0; i < 2; i++) assert.equal(createHash('sha256').update((await fetchOnce(url)).body).digest('hex'), createHash('sha256').update(deb).digest('hex'));
  });

  test('/metrics sums the requests every worker answered', async () => {
    const before = await inReleaseCount(serve.url);
    const seen = await workersSeen(serve.url, 10);
    assert.equal(seen.size, 2);
    // Counted when each response is over, which may be just after the client has it.
    await waitFor(async () => ((await inReleaseCount(serve.url)) === before + 10 ? true : undefined), 5000, 'InRelease count +10');
  });

  test('a worker that dies is started again under its number; serving goes on', async () => {
    const countBefore = await inReleaseCount(serve.url);
    const victim = workerPid(serve, 1);
    assert.ok(victim !== undefined);
    process.kill(victim, 'SIGKILL');
    // Once the primary knows (a connection it hands over in the instant before is lost with the
    // worker: node:cluster's round-robin), the other worker answers meanwhile.
    await waitFor(() => serve.log.find((l) => l.worker === 1 && l.signal === 'SIGKILL' && l.level === 40), 5000, 'the death logged as a warning');
    for (let i = 0; i < 4; i++) assert.equal((await fetchOnce(`${serve.url}${IN_RELEASE}`)).status, 200);
    const replacement = await waitFor(() => {
      const pid = workerPid(serve, 1);
      return pid !== undefined && pid !== victim ? pid : undefined;
    }, 10_000, 'worker 1 started again');
    pids.add(replacement);
    assert.deepEqual([...(await workersSeen(serve.url, 6))].sort(), ['1', '2']);
    // The dead worker's counters are kept: the sum never goes back.
    assert.ok((await inReleaseCount(serve.url)) >= countBefore);
  });
});

describe('serve --workers: refusals', { concurrency: 4 }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'debstash-serve-workers-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const [command, value] of [['serve', '0'], ['serve', 'two'], ['serve', '1.5'], ['up', '-3']] as const) {
    test(`${command} --workers ${value}: a usage error, exit 2`, async () => {
      const err = await run(process.execPath, [bin, command, `--workers=${value}`, '--listen', '127.0.0.1:1'], { env: { ...process.env, DEBSTASH_DATA_DIR: join(dir, command) } }).then(
        () => assert.fail('accepted'),
        (e: unknown) => e as { code: number; stderr: string },
      );
      assert.equal(err.code, 2);
      assert.match(err.stderr, /DEBSTASH_E_USAGE: --workers "[^"]+": expected a whole number from 1 to 64, or auto/);
      assert.doesNotMatch(err.stderr, /\n\s+at /, 'no stack trace');
    });
  }

  test('workers that cannot start: DEBSTASH_E_SERVE_WORKER_FAILED, exit 1', async () => {
    // Loaded by every node process of the server (workers inherit execArgv): kills the workers only.
    const hook = join(dir, 'no-workers.mjs');
    await writeFile(hook, "import cluster from 'node:cluster';\nif (cluster.isWorker) process.exit(3);\n");
    await chmod(hook, 0o644);
    await assert.rejects(startServeProcess(join(dir, 'data'), { args: ['--workers', '2'], nodeArgs: ['--import', hook] }), (err: Error) => {
      assert.match(err.message, /DEBSTASH_E_SERVE_WORKER_FAILED: serve --workers: worker \d did not start: it exited \(code 3\) before listening/);
      assert.match(err.message, /exited \(1\) before serving/);
      return true;
    });
  });
});
