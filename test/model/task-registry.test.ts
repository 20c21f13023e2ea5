import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { DebstashError } from '../../src/errors/debstash-error.js';
import { StoreLocks } from '../../src/model/store-locks.js';
import { type TaskEvent, TaskRegistry } from '../../src/model/task-registry.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

let dir: string;
let store: SqliteStore;
let locks: StoreLocks;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'debstash-tasks-'));
  store = SqliteStore.open(join(dir, 'debstash.sqlite'));
  locks = new StoreLocks(store);
});
after(async () => {
  locks.close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const registry = (options: { keep?: number; onFinish?: (kind: string, seconds: number, ok: boolean) => void } = {}): TaskRegistry => new TaskRegistry({ store, owner: locks.owner, ...options });

async function until(tasks: TaskRegistry, id: string): Promise<void> {
  for (let i = 0; i < 400 && !['succeeded', 'failed', 'cancelled'].includes((await tasks.get(id)).state); i++) await sleep(5);
}

test('a task runs, reports progress, and ends with its result, in its row; subscribers see it all', async () => {
  const finished: [string, boolean][] = [];
  const tasks = registry({ onFinish: (kind, _s, ok) => finished.push([kind, ok]) });
  let go!: () => void;
  const gate = new Promise<void>((resolve) => (go = resolve));
  const t = await tasks.start({
    kind: 'demo',
    resources: ['r'],
    run: async ({ progress }) => {
      await gate;
      progress({ type: 'phase', phase: 'fetch', message: 'fetching' });
      progress({ type: 'progress', phase: 'fetch', done: 1, total: 2, bytesDone: 10, bytesTotal: 20 });
      progress({ type: 'warning', message: 'careful' });
      await sleep(5);
      return { answer: 42 };
    },
  });
  assert.equal(t.state, 'running', 'it starts at once: the operation itself waits for its locks');
  assert.equal((await store.getTask(t.id))?.kind, 'demo', 'the row exists from the start');
  const seen: TaskEvent[] = [];
  await tasks.subscribe(t.id, (e) => seen.push(e));
  go();
  await until(tasks, t.id);
  await sleep(20);
  const row = await store.getTask(t.id);
  assert.equal(row?.state, 'succeeded');
  assert.deepEqual(row?.result, { answer: 42 });
  assert.deepEqual(row?.warnings, ['careful']);
  assert.deepEqual(row?.progress, { phase: 'fetch', message: 'fetching', done: 1, total: 2, bytesDone: 10, bytesTotal: 20 });
  assert.deepEqual(row?.owner, locks.owner);
  assert.deepEqual(seen.map((e) => e.type), ['state', 'phase', 'progress', 'warning', 'state', 'end']);
  assert.deepEqual(finished, [['demo', true]]);
  // Another registry (another server on the store) sees the finished row as it is.
  const late: TaskEvent[] = [];
  await registry().subscribe(t.id, (e) => late.push(e));
  await sleep(20);
  assert.deepEqual(late.map((e) => e.type), ['phase', 'progress', 'warning', 'state', 'end']);
});

test('a running task cancelled sees its signal abort and ends cancelled; a failure keeps its code', async () => {
  const tasks = registry();
  const running = await tasks.start({
    kind: 'slow',
    resources: ['r'],
    run: ({ signal }) =>
      new Promise((_resolve, reject) => {
        signal.addEventListener('abort', () => reject(new DebstashError('DEBSTASH_E_CANCELLED', 'stopped')));
      }),
  });
  const failing = await tasks.start({ kind: 'bad', resources: ['other'], run: async () => Promise.reject(new DebstashError('DEBSTASH_E_REPO_NOT_FOUND', 'no repo')) });
  const buggy = await tasks.start({ kind: 'bug', resources: ['third'], run: async () => Promise.reject(new TypeError('oops')) });
  await sleep(20);
  assert.equal((await tasks.get(running.id)).state, 'running');
  await tasks.cancel(running.id);
  await until(tasks, running.id);
  assert.equal((await tasks.get(running.id)).state, 'cancelled');
  assert.equal((await tasks.get(running.id)).error?.code, 'DEBSTASH_E_CANCELLED');
  await until(tasks, failing.id);
  await until(tasks, buggy.id);
  assert.equal((await tasks.get(failing.id)).error?.code, 'DEBSTASH_E_REPO_NOT_FOUND');
  assert.equal((await tasks.get(buggy.id)).error?.code, 'DEBSTASH_E_INTERNAL');
  assert.equal((await tasks.cancel(failing.id)).state, 'failed', 'a finished task stays as it ended');
});

test('a cancel asked through another registry sets the flag the owner reads at its heartbeat', async () => {
  const owner = registry();
  const t = await owner.start({ kind: 'slow', resources: ['x'], run: ({ signal }) => new Promise((_r, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error))) });
  await sleep(20);
  const asked = await registry().cancel(t.id);
  assert.equal(asked.cancelRequested, true);
  await until(owner, t.id);
  assert.equal((await store.getTask(t.id))?.state, 'cancelled');
});

test('finished tasks beyond the bound are forgotten, oldest first', async () => {
  const tasks = registry({ keep: 3 });
  const ids: string[] = [];
  for (let i = 0; i < 6; i++) {
    const t = await tasks.start({ kind: 'n', resources: [`r${i}`], run: async () => i });
    await until(tasks, t.id);
    await sleep(2);
    ids.push(t.id);
  }
  const kept = (await tasks.list()).map((t) => t.id);
  assert.ok(kept.length <= 4, `${kept.length} kept`);
  assert.equal(kept[0], ids[5]);
  await assert.rejects(tasks.get(ids[0] ?? ''), (e: unknown) => e instanceof DebstashError && e.code === 'DEBSTASH_E_TASK_NOT_FOUND');
});

test('an unfinished row of a dead owner is marked failed with DEBSTASH_E_TASK_ABANDONED when looked at', async () => {
  const now = new Date().toISOString();
  // A pid of this host that runs nothing: the highest a pid can be on Linux is below 2^22.
  const dead = { host: locks.owner.host, pid: 4_194_303, id: 'gone' };
  await store.transaction((tx) => tx.insertTask({ id: 'orphan', kind: 'mirror-update', resources: ['mirror:m'], state: 'running', createdAt: now, warnings: [], owner: dead, heartbeatAt: now, cancelRequested: false }));
  const t = await registry().get('orphan');
  assert.equal(t.state, 'failed');
  assert.equal(t.error?.code, 'DEBSTASH_E_TASK_ABANDONED');
  assert.equal((await store.getTask('orphan'))?.state, 'failed');
  // A final state never changes, whoever writes later.
  assert.equal(await store.transaction((tx) => tx.updateTask({ ...t, state: 'succeeded' })), false);
});
