import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Semaphore } from '../../src/upstream/semaphore.js';

describe('Semaphore', () => {
  test('hands out at most `limit` permits, in FIFO order', async () => {
    const s = new Semaphore(2);
    const r1 = await s.acquire();
    const r2 = await s.acquire();
    const order: number[] = [];
    const w3 = s.acquire().then((r) => (order.push(3), r));
    const w4 = s.acquire().then((r) => (order.push(4), r));
    assert.equal(s.used, 2);
    r1();
    r1(); // a second call must not free another permit
    const r3 = await w3;
    assert.equal(s.used, 2);
    r2();
    const r4 = await w4;
    assert.deepEqual(order, [3, 4]);
    r3();
    r4();
    assert.equal(s.used, 0);
  });

  test('an aborted wait rejects with the reason and gives up its place', async () => {
    const s = new Semaphore(1);
    const r1 = await s.acquire();
    const ac = new AbortController();
    const waits = Array.from({ length: 50 }, () => s.acquire(ac.signal));
    const other = s.acquire();
    ac.abort(new Error('stop'));
    for (const w of waits) await assert.rejects(w, /stop/);
    r1();
    const r2 = await other;
    assert.equal(s.used, 1);
    r2();
    await assert.rejects(s.acquire(ac.signal), /stop/);
    assert.throws(() => new Semaphore(0), RangeError);
  });
});
