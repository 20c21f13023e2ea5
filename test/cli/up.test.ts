import assert from 'node:assert/strict';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type ConfigFixture, configFixture } from '../config/config-fixture.js';
import { FaultServer } from '../helpers/fault-server.js';
import { reachableHostArchive } from '../helpers/host-archive.js';
import { hostUpstreams } from '../../src/upstream/host-apt-sources.js';
import { IsolatedApt } from '../helpers/isolated-apt.js';
import { SERVING, startUp } from '../helpers/up-process.js';


async function readyz(url: string): Promise<{ status: number; body: string }> {
  const r = await fetch(`${url}/readyz`);
  return { status: r.status, body: await r.text() };
}

/** Polls until `check` holds (bounded: 200 tries, 50 ms apart). */
async function eventually<T>(what: string, probe: () => Promise<T>, check: (v: T) => boolean): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < 200; i++) {
    last = await probe();
    if (check(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what}: still ${JSON.stringify(last)}`);
}

let f: ConfigFixture;
before(async () => {
  f = await configFixture();
});
after(async () => {
  await f.close();
});

test('up with a config: cold start then warm start against the fixture upstream, timed', async (t) => {
  const config = await f.writeConfig(f.configText());
  const data = await f.dataDir();
  const times: number[] = [];
  for (const run of ['cold', 'warm']) {
    const up = startUp(['--config', config, '--data-dir', data, 'up'], {}, f.dir);
    try {
      const url = (await up.until(SERVING))[1] ?? '';
      await up.until(/debstash: ready/);
      await eventually('readyz', () => readyz(url), (r) => r.status === 200);
      times.push(performance.now() - up.started);
      assert.match(up.stderr(), new RegExp(`config: ${config.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      assert.match(up.stderr(), run === 'cold' ? /\+ publish \/ testing from snapshot testing-1/ : /nothing to do/);
      const sources = await (await fetch(`${url}/client/testing.sources`)).text();
      assert.equal(up.stdout().trim(), sources.trim(), 'what up printed is what /client serves');
      assert.ok(up.stderr().includes(`(also at ${url}/client/testing.sources)`), up.stderr());
    } finally {
      assert.equal(await up.stop(), 0);
    }
  }
  t.diagnostic(`up against the fixture, spawn to ready: cold ${times[0]?.toFixed(0)} ms, warm ${times[1]?.toFixed(0)} ms`);
});

test('up serves before the first publish (readyz 503), is ready after it, and a failed refresh keeps serving, said in readyz and metrics', async () => {
  // Its own upstream copy, so stopping it leaves the other tests theirs.
  const copy = join(f.dir, 'upstream-copy');
  await cp(join(f.dir, 'archive'), copy, { recursive: true });
  const upstream = await FaultServer.start(copy);
  const config = await f.writeConfig(f.configText({ url: upstream.url.replace(/\/$/, ''), refresh: '1s' }));
  // A slow first Release: the window in which up serves but has nothing published.
  upstream.inject('/dists/testing/InRelease', { delayMs: 1500, times: 1 });
  const up = startUp(['--config', config, '--data-dir', await f.dataDir(), 'up'], {}, f.dir);
  try {
    const url = (await up.until(SERVING))[1] ?? '';
    const early = await readyz(url);
    assert.equal(early.status, 503);
    assert.match(early.body, /^not ready: nothing published yet at \/ testing/);
    await up.until(/debstash: ready/);
    const ready = await readyz(url);
    assert.equal(ready.status, 200);
    assert.match(ready.body, /^ready\nstorage: local disk \/.*\/pool\n$/, 'names the storage in use');

    const apt = await IsolatedApt.create(up.stdout());
    try {
      await apt.aptGet('update');
      await apt.aptGet('install', '-y', '--download-only', 'hello');
    } finally {
      await apt.close();
    }

    await upstream.close();
    const degraded = await eventually(`readyz after the upstream stopped (${up.stderr().length} bytes of stderr so far)`, () => readyz(url), (r) => /degraded/.test(r.body)).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${up.stderr().slice(-3000)}`);
    });
    assert.equal(degraded.status, 200, 'still ready: the last good publish is served');
    assert.match(degraded.body, /^ready, degraded: last refresh failed at \d{4}-\d\d-\d\dT[\d:.]+Z: mirror "testing" \(mirrors\.testing\): /);
    assert.equal((await fetch(`${url}/dists/testing/InRelease`)).status, 200);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics, /^debstash_refresh_healthy 0$/m);
    assert.match(metrics, /^debstash_refresh_consecutive_failures [1-9]\d*$/m);
    assert.match(metrics, /^debstash_refresh_last_failure_timestamp_seconds \d+$/m);
    assert.match(metrics, /^debstash_refresh_last_success_timestamp_seconds \d+$/m);
    assert.match(up.stderr(), /refresh failed, still serving the last good publish: DEBSTASH_E_UPSTREAM_/);
  } finally {
    assert.equal(await up.stop(), 0);
    await upstream.close();
  }
});

test('a port in use is a coded error naming the setting it came from', async () => {
  const blocker: Server = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const taken = `127.0.0.1:${(blocker.address() as { port: number }).port}`;
  try {
    const fromFile = startUp(['--config', await f.writeConfig(f.configText({ listen: taken })), '--data-dir', await f.dataDir(), 'up'], {}, f.dir);
    assert.equal(await fromFile.exited(), 1);
    assert.match(fromFile.stderr(), new RegExp(`DEBSTASH_E_LISTEN_IN_USE: server\\.listen \\(.*debstash\\.yaml\\): ${taken} is already in use`));
    const fromFlag = startUp(['--config', await f.writeConfig(f.configText()), '--data-dir', await f.dataDir(), 'up', '--listen', taken], {}, f.dir);
    assert.equal(await fromFlag.exited(), 1);
    assert.match(fromFlag.stderr(), new RegExp(`DEBSTASH_E_LISTEN_IN_USE: --listen: ${taken} is already in use`));
  } finally {
    await new Promise((resolve) => blocker.close(resolve));
  }
});

test('online: "debstash up" on a fresh data dir mirrors, publishes and serves what a plain apt installs', { timeout: 240_000 }, async (t) => {
  const host = await reachableHostArchive();
  if (typeof host === 'string') {
    t.skip(host);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'debstash-up-'));
  const up = startUp(['up', '--listen', '127.0.0.1:0'], { DEBSTASH_DATA_DIR: join(dir, 'data'), DEBSTASH_CONFIG: '' }, dir);
  try {
    const url = (await up.until(SERVING))[1] ?? '';
    await up.until(/debstash: ready/);
    assert.match(up.stderr(), /config: the built-in default/);
    assert.equal((await readyz(url)).status, 200);
    // What up printed is one stanza with every suite of the host, exactly what /client
    // serves for them, and all a client needs.
    const suites = (/^Suites: (.+)$/m.exec(up.stdout())?.[1] ?? '').split(' ');
    assert.deepEqual(suites, [...new Set((await hostUpstreams()).map((u) => u.suite))]);
    const sources = await (await fetch(`${url}/client/${suites.join(',')}.sources`)).text();
    assert.equal(up.stdout().trim(), sources.trim());
    const apt = await IsolatedApt.create(sources);
    try {
      await apt.aptGet('update');
      const out = await apt.aptGet('install', '-y', '--download-only', 'postgresql', 'python3');
      assert.match(out.stdout, /Download complete and in download only mode/);
      const hosts = new Set([...out.stdout.matchAll(/^Get:\d+ (\S+)/gm)].map((m) => m[1]));
      assert.deepEqual([...hosts], [url], 'every package came from the mirror');
    } finally {
      await apt.close();
    }
  } finally {
    await up.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
