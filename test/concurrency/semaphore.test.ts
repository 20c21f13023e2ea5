import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { Semaphore } from '../../src/concurrency/semaphore.js';

/** Counts the tasks running at once, so a test can assert the most ever seen. */
class Occupancy {
  active = 0;
  most = 0;
  enter(): void {
    this.active++;
    this.most = Math.max(this.most, this.active);
  }
  leave(): void {
    this.active--;
  }
}

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

  test('run gives the permit back after a value, a rejection and a synchronous throw', async () => {
    const s = new Semaphore(1);
    assert.equal(await s.run(() => 7), 7);
    await assert.rejects(s.run(() => Promise.reject(new Error('no'))), /no/);
    await assert.rejects(
      s.run(() => {
        throw new Error('sync');
      }),
      /sync/,
    );
    assert.equal(s.used, 0);
  });

  /*
   * Defect 8 of issue 11. A task's promise has two reactions: run's own (which releases the
   * permit) and a caller's registered after it. The old Limiter released by decrementing its
   * count and waking the next waiter, which only counted itself in a microtask later; the
   * caller's reaction ran in between, found the count below the limit and started a task
   * too, so under a limit of 1 two ran at once. Handing the permit over directly closes that
   * gap.
   */
  test('under a limit of 1, a task started while the permit passes to a waiter does not run beside it', async () => {
    const s = new Semaphore(1);
    const occupancy = new Occupancy();
    const quick = (): Promise<void> => {
      occupancy.enter();
      return Promise.resolve().then(() => occupancy.leave());
    };
    let openFirst!: () => void;
    const first = new Promise<void>((resolve) => (openFirst = resolve));
    let firstTask: Promise<void> | undefined;
    const a = s.run(() => {
      occupancy.enter();
      firstTask = first.then(() => occupancy.leave());
      return firstTask;
    });
    const b = s.run(quick);
    // run awaits the task's promise as soon as it has it; our reaction comes second.
    while (firstTask === undefined) await Promise.resolve();
    let c: Promise<void> | undefined;
    void firstTask.then(() => {
      c = s.run(quick);
    });
    openFirst();
    await Promise.all([a, b]);
    await c;
    assert.equal(occupancy.most, 1);
    assert.equal(s.used, 0);
  });

  test('a limit of N never has N+1 running, whatever the tasks do and whenever new ones arrive', async () => {
    const outcome = fc.constantFrom('resolve', 'reject', 'sync-value', 'sync-throw');
    const job = fc.record({ outcome, followUps: fc.nat({ max: 2 }) });
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.array(job, { minLength: 1, maxLength: 25 }), fc.scheduler(), async (limit, jobs, scheduler) => {
        const s = new Semaphore(limit);
        const occupancy = new Occupancy();
        const settled: Promise<unknown>[] = [];
        let next = 0;
        const start = (): void => {
          const spec = jobs[next++ % jobs.length]!;
          const p = s.run((): number | Promise<number> => {
            occupancy.enter();
            assert.ok(occupancy.active <= limit, `${occupancy.active} running under a limit of ${limit}`);
            if (spec.outcome === 'sync-value') return (occupancy.leave(), 1);
            if (spec.outcome === 'sync-throw') {
              occupancy.leave();
              throw new Error('sync');
            }
            // The scheduler decides when each asynchronous task ends, in any order.
            return scheduler.schedule(Promise.resolve(), `task ${next}`).then(() => {
              occupancy.leave();
              if (spec.outcome === 'reject') throw new Error('async');
              return 1;
            });
          });
          settled.push(p.catch(() => undefined));
          // New acquisitions right as this one settles: the moment a permit changes hands.
          if (next < 3 * jobs.length) for (let i = 0; i < spec.followUps; i++) void p.then(start, start);
        };
        for (let i = 0; i < jobs.length; i++) start();
        // Follow-ups join `settled` as earlier tasks settle: wait until no new ones appeared.
        for (let seen = 0; seen < settled.length; ) {
          const batch = settled.slice(seen);
          seen = settled.length;
          await scheduler.waitFor(Promise.all(batch));
        }
        assert.ok(occupancy.most <= limit, `${occupancy.most} ran at once under a limit of ${limit}`);
        assert.equal(occupancy.active, 0);
        assert.equal(s.used, 0);
      }),
      { numRuns: 200 },
    );
  });
});
