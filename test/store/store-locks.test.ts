import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { StoreLocks } from '../../src/model/store-locks.js';
import type { Store } from '../../src/store/store.js';
import { isCode } from '../helpers/coded-error.js';
import { STORE_BACKENDS, stopStoreBackends } from '../helpers/store-backends.js';

after(stopStoreBackends);

for (const backend of STORE_BACKENDS) {
  describe(`locks in the ${backend.name} store`, { skip: backend.skip }, () => {
    const stores = backend.fixture();
    let a: Store;
    let b: Store;
    before(async () => {
      // Two stores on one data: what two processes on one data dir or database have.
      a = await stores.open('locks');
      b = await stores.open('locks');
    });

    const owner = (id: string) => ({ host: 'h', pid: 1, id });
    const alive = () => false;

    test('one holder at a time; the holder may take it again; unlock by another owner is a no-op', async () => {
      assert.deepEqual(await a.tryLock('mirror:m', owner('x'), 10_000, alive), { acquired: true });
      const refused = await b.tryLock('mirror:m', owner('y'), 10_000, alive);
      assert.equal(refused.acquired, false);
      assert.equal(!refused.acquired && refused.holder.owner.id, 'x');
      assert.deepEqual(await a.tryLock('mirror:m', owner('x'), 10_000, alive), { acquired: true });
      await b.unlock('mirror:m', owner('y'));
      assert.equal((await b.listLocks()).length, 1);
      await a.unlock('mirror:m', owner('x'));
      assert.deepEqual(await b.listLocks(), []);
    });

    test('an expired lock, or one whose holder is dead, is taken over; renewal keeps it', async () => {
      await a.tryLock('publish:/d', owner('x'), 50, alive);
      assert.deepEqual(await a.renewLocks(owner('x'), 10_000), ['publish:/d']);
      await sleep(80);
      assert.equal((await b.tryLock('publish:/d', owner('y'), 50, alive)).acquired, false, 'renewed past its first expiry');
      assert.equal((await b.tryLock('publish:/d', owner('y'), 50, (h) => h.owner.id === 'x')).acquired, true, 'dead holder');
      assert.deepEqual(await a.renewLocks(owner('x'), 50), [], 'x lost it');
      await sleep(80);
      assert.equal((await a.tryLock('publish:/d', owner('x'), 50, alive)).acquired, true, 'expired');
      await a.unlock('publish:/d', owner('x'));
    });

    test('StoreLocks: a waiter waits and is told who holds it; fail mode says DEBSTASH_E_BUSY', async () => {
      const one = new StoreLocks(a);
      const two = new StoreLocks(b);
      try {
        let release!: () => void;
        const held = new Promise<void>((resolve) => (release = resolve));
        const first = one.with(['repo:r'], () => held);
        await sleep(20);
        await assert.rejects(two.with(['repo:r'], async () => 'never', { mode: 'fail', what: 'drop repo "r"' }), isCode('DEBSTASH_E_BUSY'));
        const told: number[] = [];
        const second = two.with(['repo:r'], async () => 'ran', { mode: 'wait', onWait: (h) => told.push(h.owner.pid) });
        await sleep(50);
        release();
        await first;
        assert.equal(await second, 'ran');
        assert.deepEqual(told, [process.pid]);
        const ac = new AbortController();
        const blocked = one.with(['repo:r'], () => sleep(10_000, undefined, { signal: ac.signal }).catch(() => undefined));
        await sleep(20);
        const cancel = new AbortController();
        const waiting = two.with(['repo:r'], async () => 'never', { mode: 'wait', signal: cancel.signal });
        cancel.abort();
        await assert.rejects(waiting, isCode('DEBSTASH_E_CANCELLED'));
        ac.abort();
        await blocked;
        assert.deepEqual(await a.listLocks(), []);
      } finally {
        one.close();
        two.close();
      }
    });
  });
}
