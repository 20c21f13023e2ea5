import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { closeContext, openEmbeddedContext } from '../../src/model/context.js';
import type { TaskRecord } from '../../src/store/coordination-records.js';
import { buildDeb } from '../helpers/build-deb.js';
import { projectRoot } from '../helpers/project-root.js';
import { FILTER, type MirrorFixture, mirrorFixture } from '../model/mirror-fixture.js';
import { postgresMissing } from '../helpers/postgres-server.js';
import { sharedPostgres, stopStoreBackends } from '../helpers/store-backends.js';

/**
 * Issue 13: several debstash processes on one data dir, each a real process running the built
 * CLI, coordinated only by the store (locks and tasks are rows, decisions are transactions).
 */

const bin = join(projectRoot, 'bin/debstash.js');

/**
 * The PostgreSQL database of a data dir when the run is on that backend: every process of
 * the data dir gets it as DEBSTASH_DATABASE_URL (the SQLite runs have none).
 */
const databases = new Map<string, string>();
const envOf = (dataDir: string): NodeJS.ProcessEnv => {
  const url = databases.get(dataDir);
  return { ...process.env, DEBSTASH_DATA_DIR: dataDir, ...(url !== undefined ? { DEBSTASH_DATABASE_URL: url } : {}) };
};
const openContext = (dataDir: string) => openEmbeddedContext(dataDir, databases.get(dataDir));
after(stopStoreBackends);

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A CLI process of its own on the data dir (--local: not through the server running there). */
function cli(dataDir: string, args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, '--local', ...args], { env: envOf(dataDir), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** `debstash serve` on a free port of 127.0.0.1; resolves once it answers. */
async function serve(dataDir: string): Promise<{ child: ChildProcess; url: string; output: () => string; exited: Promise<void> }> {
  const child = spawn(process.execPath, [bin, 'serve', '--listen', '127.0.0.1:0'], { env: envOf(dataDir), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (output += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (output += s));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  for (let i = 0; i < 300; i++) {
    const url = /serving (http:\/\/127\.0\.0\.1:\d+)\//.exec(output)?.[1];
    if (url !== undefined) return { child, url, output: () => output, exited };
    if (child.exitCode !== null) break;
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`serve did not start:\n${output}`);
}

async function api<T>(url: string, secret: string, method: string, path: string, json?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${secret}`, ...(json !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
  });
  return { status: res.status, body: (await res.json()) as T };
}

async function waitTask(url: string, secret: string, id: string, until: (t: TaskRecord) => boolean): Promise<TaskRecord> {
  for (let i = 0; i < 600; i++) {
    const { body } = await api<{ task: TaskRecord }>(url, secret, 'GET', `/api/tasks/${id}`);
    if (until(body.task)) return body.task;
    await sleep(50);
  }
  throw new Error(`task ${id} never got there`);
}

const finished = (t: TaskRecord): boolean => ['succeeded', 'failed', 'cancelled'].includes(t.state);

function assertNoBusy(...runs: readonly string[]): void {
  for (const text of runs) assert.doesNotMatch(text, /SQLITE_BUSY|database is locked/i);
}

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`several processes on one data dir (issue 13), ${backend}`, { skip: backend === 'postgres' ? postgresMissing() : undefined }, () => {
    let fx: MirrorFixture;
    before(async () => {
      fx = await mirrorFixture();
    });
    after(() => fx.close());

    /** A data dir with mirror m of the fixture and a write token; downloads of .debs made slow so an update lasts seconds. */
    async function mirrorDataDir(): Promise<{ dataDir: string; secret: string }> {
      const dataDir = await mkdtemp(join(fx.dir, 'xproc-'));
      if (backend === 'postgres') databases.set(dataDir, await (await sharedPostgres()).createDatabase(`xproc_${databases.size}`));
      const created = await cli(dataDir, ['mirror', 'create', 'm', fx.server.url, 'testing', 'main', 'contrib', '--arch', 'amd64,i386', '--filter', FILTER, '--with-deps', '--keyring', fx.key.keyring]);
      assert.equal(created.status, 0, created.stderr);
      const token = await cli(dataDir, ['-q', 'token', 'create', '--scope', 'admin']);
      assert.equal(token.status, 0, token.stderr);
      return { dataDir, secret: token.stdout.trim() };
    }

    test('a CLI mirror update while a server updates the same mirror waits for it: one update at a time, nothing lost, db check clean', async () => {
      const { dataDir, secret } = await mirrorDataDir();
      fx.server.inject(/\.deb$/, { delayMs: 1500, times: 14 });
      const server = await serve(dataDir);
      try {
        const started = await api<{ task: TaskRecord }>(server.url, secret, 'POST', '/api/mirrors/m/update', {});
        assert.equal(started.status, 202, JSON.stringify(started.body));
        const id = started.body.task.id;
        await waitTask(server.url, secret, id, (t) => t.progress?.phase === 'download' || finished(t));
        const second = await cli(dataDir, ['mirror', 'update', 'm']);
        assert.equal(second.status, 0, second.stderr);
        assert.match(second.stderr, /waiting for the update running in pid \d+/);
        const task = await waitTask(server.url, secret, id, finished);
        assert.equal(task.state, 'succeeded', JSON.stringify(task.error));
        // The second one started from what the first committed: nothing left to download.
        assert.match(second.stdout, /up to date|\+0 -0/);
        assert.equal((task.result as { packages: number }).packages, 14);
        // The task row is what every process sees: the CLI process reads it from the store.
        const ctx = await openContext(dataDir);
        try {
          assert.equal((await ctx.store.getTask(id))?.state, 'succeeded');
          assert.equal((await ctx.store.getMirror('m'))?.packageCount, 14);
          assert.deepEqual(await ctx.store.listLocks(), [], 'every lock released');
        } finally {
          await closeContext(ctx);
        }
        const check = await cli(dataDir, ['--json', 'db', 'check']);
        assert.equal(check.status, 0, check.stderr);
        assert.deepEqual((JSON.parse(check.stdout) as { missing: string[] }).missing, []);
        assertNoBusy(second.stderr, second.stdout, server.output());
      } finally {
        server.child.kill('SIGTERM');
        await server.exited;
      }
    });

    test('a server SIGKILLed mid-update: its task is marked failed by the next server, its lock taken over at once', async () => {
      const { dataDir, secret } = await mirrorDataDir();
      fx.server.inject(/\.deb$/, { delayMs: 3000, times: 14 });
      const first = await serve(dataDir);
      const started = await api<{ task: TaskRecord }>(first.url, secret, 'POST', '/api/mirrors/m/update', {});
      const id = started.body.task.id;
      await waitTask(first.url, secret, id, (t) => t.progress?.phase === 'download' || finished(t));
      first.child.kill('SIGKILL');
      await first.exited;
      // The dead process's rows are still there: a lock and a running task.
      const ctx = await openContext(dataDir);
      try {
        assert.deepEqual((await ctx.store.listLocks()).map((l) => [l.resource, l.owner.pid]), [['mirror:m', first.child.pid]]);
        assert.equal((await ctx.store.getTask(id))?.state, 'running');
      } finally {
        await closeContext(ctx);
      }
      const second = await serve(dataDir);
      try {
        const { body } = await api<{ task: TaskRecord }>(second.url, secret, 'GET', `/api/tasks/${id}`);
        assert.equal(body.task.state, 'failed');
        assert.equal(body.task.error?.code, 'DEBSTASH_E_TASK_ABANDONED');
        assert.equal(body.task.owner.pid, first.child.pid);
        const list = await api<TaskRecord[]>(second.url, secret, 'GET', '/api/tasks');
        assert.ok(list.body.some((t) => t.id === id), 'the task survived the restart');
        // The holder is dead: the lock is taken over without waiting for its 30 s expiry.
        const t0 = Date.now();
        const update = await cli(dataDir, ['mirror', 'update', 'm']);
        assert.equal(update.status, 0, update.stderr);
        assert.doesNotMatch(update.stderr, /waiting for the update/);
        assert.ok(Date.now() - t0 < 25_000, `took ${Date.now() - t0} ms`);
        assert.match(update.stdout, /m: 14 packages/);
        assertNoBusy(update.stderr, second.output());
      } finally {
        second.child.kill('SIGTERM');
        await second.exited;
      }
    });

    test('a second mirror drop while an update runs fails fast with DEBSTASH_E_BUSY; a drop racing a publish of its repo never leaves a publish without its repo', async () => {
      const { dataDir } = await mirrorDataDir();
      fx.server.inject(/\.deb$/, { delayMs: 1500, times: 14 });
      const updating = cli(dataDir, ['mirror', 'update', 'm']);
      // Wait until the updater holds its lock.
      const ctx = await openContext(dataDir);
      try {
        for (let i = 0; i < 200 && (await ctx.store.listLocks()).length === 0; i++) await sleep(50);
      } finally {
        await closeContext(ctx);
      }
      const drop = await cli(dataDir, ['mirror', 'drop', 'm']);
      assert.equal(drop.status, 1);
      assert.match(drop.stderr, /DEBSTASH_E_BUSY: cannot drop mirror "m": mirror:m is held by pid \d+/);
      assert.equal((await updating).status, 0);

      assert.equal((await cli(dataDir, ['key', 'generate', '--email', 'ops@example.org'])).status, 0);
      const deb = await buildDeb(join(dataDir, 'debs'), { name: 'hello', version: '1', architecture: 'amd64' }, { compression: 'gzip' });
      for (let round = 0; round < 3; round++) {
        const repo = `r${round}`;
        assert.equal((await cli(dataDir, ['repo', 'create', repo])).status, 0);
        assert.equal((await cli(dataDir, ['repo', 'add', repo, deb])).status, 0);
        const [published, dropped] = await Promise.all([cli(dataDir, ['publish', 'repo', repo, '--dist', repo]), cli(dataDir, ['repo', 'drop', repo])]);
        assertNoBusy(published.stderr, dropped.stderr);
        // Exactly one of them won, and the loser says why with its code.
        assert.equal([published.status, dropped.status].filter((s) => s === 0).length, 1, `${published.stderr}\n${dropped.stderr}`);
        if (published.status === 0) assert.match(dropped.stderr, /DEBSTASH_E_(BUSY|IN_USE)/);
        else assert.match(published.stderr, /DEBSTASH_E_REPO_NOT_FOUND/);
      }
      const check = await openContext(dataDir);
      try {
        for (const p of await check.store.listPublishes()) assert.ok(await check.store.getRepo(p.source.name), `${p.dist} shows repo ${p.source.name}, which exists`);
      } finally {
        await closeContext(check);
      }
    });
  });
}
