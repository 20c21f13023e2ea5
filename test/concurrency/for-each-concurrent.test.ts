import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { forEachConcurrent } from '../../src/concurrency/for-each-concurrent.js';

test('forEachConcurrent visits every item with at most `limit` in flight, taking items only as they are needed', async () => {
  let active = 0;
  let most = 0;
  let taken = 0;
  function* items(): Generator<number> {
    for (let i = 0; i < 20; i++) {
      taken++;
      // Lazily: never more than the ones running.
      assert.ok(taken - done.length <= 3, `${taken} taken with ${done.length} done`);
      yield i;
    }
  }
  const done: number[] = [];
  await forEachConcurrent(items(), 3, async (i) => {
    active++;
    most = Math.max(most, active);
    await nextTurn();
    active--;
    done.push(i);
  });
  assert.equal(most, 3);
  assert.deepEqual([...done].sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => i));
});

test('forEachConcurrent rejects with the first failure only after the others, aborted, have settled', async () => {
  const started: number[] = [];
  let settled = 0;
  const run = forEachConcurrent([0, 1, 2, 3, 4, 5, 6, 7], 3, async (i, signal) => {
    started.push(i);
    try {
      if (i === 1) throw new Error('first');
      await new Promise<void>((resolve, reject) => {
        if (signal.aborted) reject(signal.reason as Error);
        signal.addEventListener('abort', () => reject(new Error(`aborted ${i}`)), { once: true });
      });
    } finally {
      settled++;
    }
  });
  await assert.rejects(run, /^Error: first$/);
  assert.equal(settled, started.length);
  assert.ok(started.length < 8, `started ${started.length} of 8 after a failure`);
});

test('forEachConcurrent stops when the caller aborts and rejects with its reason', async () => {
  const ac = new AbortController();
  const seen: number[] = [];
  const run = forEachConcurrent([0, 1, 2, 3], 1, async (i) => {
    seen.push(i);
    if (i === 1) ac.abort(new Error('stop'));
  }, ac.signal);
  await assert.rejects(run, /stop/);
  assert.deepEqual(seen, [0, 1]);
});
