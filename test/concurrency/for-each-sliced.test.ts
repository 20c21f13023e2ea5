import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forEachSliced } from '../../src/concurrency/for-each-sliced.js';

const busy = (ms: number): void => {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // hold the thread, as a slow file system call would
  }
};

test('forEachSliced visits every item in order and lets the event loop run between slices', async () => {
  const seen: number[] = [];
  let ticks = 0;
  const timer = setInterval(() => ticks++, 0);
  try {
    await forEachSliced([0, 1, 2, 3, 4, 5], (i) => {
      busy(6);
      seen.push(i);
    });
  } finally {
    clearInterval(timer);
  }
  assert.deepEqual(seen, [0, 1, 2, 3, 4, 5]);
  assert.ok(ticks >= 2, `the loop ran ${ticks} times during 36 ms of work in 10 ms slices`);
});

test('forEachSliced stops at the next slice once the signal aborts', async () => {
  const ac = new AbortController();
  const seen: number[] = [];
  const run = forEachSliced([0, 1, 2, 3, 4, 5], (i) => {
    seen.push(i);
    if (i === 1) ac.abort(new Error('stop'));
    busy(6);
  }, ac.signal);
  await assert.rejects(run, /stop/);
  assert.ok(seen.length < 6, `visited ${seen.length} items`);
});
