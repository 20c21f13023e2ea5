import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Semaphore } from '../../src/concurrency/semaphore.js';
import { WorkQueue } from '../../src/concurrency/work-queue.js';

/** Items that each take `ms`, counting how many ran at once; `server` serializes them when given. */
function timedWork(ms: number, server?: Semaphore) {
  const seen = { active: 0, most: 0, done: [] as number[] };
  const fn = async (i: number): Promise<number> => {
    seen.active++;
    seen.most = Math.max(seen.most, seen.active);
    try {
      if (server) await server.run(() => sleep(ms));
      else await sleep(ms);
      seen.done.push(i);
      return 1;
    } finally {
      seen.active--;
    }
  };
  return { seen, fn };
}

test('WorkQueue grows while throughput grows, and never beyond its bound', async () => {
  // Each item waits on its own: twice as many at once finish twice as many per window.
  const { seen, fn } = timedWork(5);
  const queue = new WorkQueue(fn, { initial: 1, max: 4, windowMs: 15 });
  for (let i = 0; i < 300; i++) queue.push(i);
  await queue.finish();
  assert.equal(seen.done.length, 300);
  assert.ok(queue.limit > 1, `grew from 1 (limit ${queue.limit})`);
  assert.ok(queue.limit <= 4 && queue.peak <= 4 && seen.most <= 4, `limit ${queue.limit}, peak ${queue.peak}, most ${seen.most}`);
});

test('WorkQueue stops growing when more at once is no faster', async () => {
  // A server that answers one at a time: throughput is flat whatever the limit.
  const { seen, fn } = timedWork(3, new Semaphore(1));
  const queue = new WorkQueue(fn, { initial: 1, max: 32, windowMs: 15 });
  for (let i = 0; i < 200; i++) queue.push(i);
  await queue.finish();
  assert.equal(seen.done.length, 200);
  assert.ok(queue.limit < 8, `stayed low: ${queue.limit}`);
});

test('WorkQueue takes items pushed while it runs, in order, and finish() waits for them', async () => {
  const order: number[] = [];
  const queue = new WorkQueue(
    async (i: number) => {
      order.push(i);
      await sleep(1);
      return 1;
    },
    { initial: 1, max: 1 },
  );
  queue.push(0);
  await sleep(5);
  queue.push(1);
  queue.push(2);
  await queue.finish();
  assert.deepEqual(order, [0, 1, 2]);
  assert.throws(() => queue.push(3), /after finish/);
});

test('WorkQueue: the first failure aborts the others, drops the rest, and finish() rejects once nothing runs', async () => {
  let running = 0;
  const started: number[] = [];
  const queue = new WorkQueue(
    async (i: number, signal: AbortSignal) => {
      started.push(i);
      running++;
      try {
        if (i === 1) throw new Error('first');
        await new Promise<void>((_, reject) => signal.addEventListener('abort', () => reject(new Error(`aborted ${i}`)), { once: true }));
        return 1;
      } finally {
        await sleep(2);
        running--;
      }
    },
    { initial: 3, max: 3 },
  );
  for (let i = 0; i < 10; i++) queue.push(i);
  await assert.rejects(queue.finish(), /^Error: first$/);
  assert.equal(running, 0, 'nothing still running');
  assert.deepEqual(started, [0, 1, 2]);
  assert.equal(queue.signal.aborted, true);
});

test("WorkQueue stops on the caller's abort; cancel() resolves once nothing runs", async () => {
  const ac = new AbortController();
  let running = 0;
  const queue = new WorkQueue(
    async (_: number, signal: AbortSignal) => {
      running++;
      try {
        await sleep(1000, undefined, { signal });
        return 1;
      } finally {
        running--;
      }
    },
    { initial: 2, max: 2, signal: ac.signal },
  );
  queue.push(0);
  queue.push(1);
  queue.push(2);
  ac.abort(new Error('stop'));
  await assert.rejects(queue.finish(), /stop/);
  assert.equal(running, 0);
  await queue.cancel(new Error('again'));
});
