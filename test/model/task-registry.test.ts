import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { DebstashError } from '../../src/errors/debstash-error.js';
import { ResourceLocks } from '../../src/model/resource-lock.js';
import { type TaskEvent, TaskRegistry } from '../../src/model/task-registry.js';

async function until(registry: TaskRegistry, id: string): Promise<void> {
  for (let i = 0; i < 200 && !['succeeded', 'failed', 'cancelled'].includes(registry.get(id).state); i++) await sleep(5);
}

test('a task runs, reports progress, and ends with its result; subscribers see it all', async () => {
  const finished: [string, boolean][] = [];
  const registry = new TaskRegistry({ locks: new ResourceLocks(), onFinish: (kind, _s, ok) => finished.push([kind, ok]) });
  const t = registry.start({
    kind: 'demo',
    resources: ['r'],
    run: async ({ progress }) => {
      progress({ type: 'phase', phase: 'fetch', message: 'fetching' });
      progress({ type: 'progress', phase: 'fetch', done: 1, total: 2, bytesDone: 10, bytesTotal: 20 });
      progress({ type: 'warning', message: 'careful' });
      await sleep(5);
      return { answer: 42 };
    },
  });
  assert.equal(t.state, 'queued');
  const seen: TaskEvent[] = [];
  registry.subscribe(t.id, (e) => seen.push(e));
  await until(registry, t.id);
  const view = registry.get(t.id);
  assert.equal(view.state, 'succeeded');
  assert.deepEqual(view.result, { answer: 42 });
  assert.deepEqual(view.warnings, ['careful']);
  assert.deepEqual(view.progress, { phase: 'fetch', message: 'fetching', done: 1, total: 2, bytesDone: 10, bytesTotal: 20 });
  assert.deepEqual(seen.map((e) => e.type), ['state', 'phase', 'progress', 'warning', 'state', 'end']);
  assert.deepEqual(finished, [['demo', true]]);
  const late: TaskEvent[] = [];
  registry.subscribe(t.id, (e) => late.push(e));
  assert.deepEqual(late.map((e) => e.type), ['state', 'phase', 'warning', 'state', 'end']);
});

test('a running task cancelled sees its signal abort and ends cancelled; a failure keeps its code', async () => {
  const registry = new TaskRegistry({ locks: new ResourceLocks() });
  const running = registry.start({
    kind: 'slow',
    resources: ['r'],
    run: ({ signal }) =>
      new Promise((_resolve, reject) => {
        signal.addEventListener('abort', () => reject(new DebstashError('DEBSTASH_E_CANCELLED', 'stopped')));
      }),
  });
  const failing = registry.start({ kind: 'bad', resources: ['other'], run: async () => Promise.reject(new DebstashError('DEBSTASH_E_REPO_NOT_FOUND', 'no repo')) });
  const buggy = registry.start({ kind: 'bug', resources: ['third'], run: async () => Promise.reject(new TypeError('oops')) });
  await sleep(10);
  assert.equal(registry.get(running.id).state, 'running');
  registry.cancel(running.id);
  await until(registry, running.id);
  assert.equal(registry.get(running.id).state, 'cancelled');
  assert.equal(registry.get(running.id).error?.code, 'DEBSTASH_E_CANCELLED');
  assert.equal(registry.get(failing.id).error?.code, 'DEBSTASH_E_REPO_NOT_FOUND');
  assert.equal(registry.get(buggy.id).error?.code, 'DEBSTASH_E_INTERNAL');
  assert.equal(registry.cancel(failing.id).state, 'failed', 'a finished task stays as it ended');
});

test('finished tasks beyond the bound are forgotten, oldest first', async () => {
  const registry = new TaskRegistry({ locks: new ResourceLocks(), keep: 3 });
  const ids: string[] = [];
  for (let i = 0; i < 6; i++) {
    const t = registry.start({ kind: 'n', resources: [`r${i}`], run: async () => i });
    await until(registry, t.id);
    ids.push(t.id);
  }
  const kept = registry.list().map((t) => t.id);
  assert.ok(kept.length <= 4, `${kept.length} kept`);
  assert.equal(kept[0], ids[5]);
  assert.throws(() => registry.get(ids[0] ?? ''), (e: unknown) => e instanceof DebstashError && e.code === 'DEBSTASH_E_TASK_NOT_FOUND');
});
