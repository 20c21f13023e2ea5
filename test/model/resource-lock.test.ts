import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { ResourceLocks } from '../../src/model/resource-lock.js';

test('work on one key runs one at a time, in arrival order; a failure releases the key', async () => {
  const locks = new ResourceLocks();
  const log: string[] = [];
  const job = (name: string, ms: number, fail = false) =>
    locks.with(['repo:a'], async () => {
      log.push(`${name}+`);
      await sleep(ms);
      log.push(`${name}-`);
      if (fail) throw new Error(name);
    });
  const results = await Promise.allSettled([job('1', 20), job('2', 5, true), job('3', 1)]);
  assert.deepEqual(log, ['1+', '1-', '2+', '2-', '3+', '3-']);
  assert.equal(results[1]?.status, 'rejected');
  assert.deepEqual(locks.busyKeys(), []);
});

test('different keys run in parallel; overlapping key sets taken in any order do not deadlock', async () => {
  const locks = new ResourceLocks();
  let running = 0;
  let most = 0;
  const job = (keys: string[]) =>
    locks.with(keys, async () => {
      most = Math.max(most, ++running);
      await sleep(10);
      running--;
    });
  await Promise.all([job(['repo:a']), job(['repo:b'])]);
  assert.equal(most, 2, 'different resources overlapped');
  most = 0;
  const bounded = Promise.race([Promise.all([job(['x', 'y']), job(['y', 'x']), job(['y']), job(['x', 'x'])]), sleep(2000).then(() => 'deadlock')]);
  assert.notEqual(await bounded, 'deadlock');
  assert.equal(most, 1, 'every job shared a key with another');
});
