import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WorkerPool } from '../../src/concurrency/worker-pool.js';
import { DebstashError } from '../../src/errors/debstash-error.js';

const script = new URL('./fixtures/pool-test-worker.js', import.meta.url);

async function withPool<T>(size: number, fn: (pool: WorkerPool) => Promise<T>): Promise<T> {
  const pool = new WorkerPool(script, size);
  try {
    return await fn(pool);
  } finally {
    await pool.close();
  }
}

async function* numbers(n: number, failAfter?: Error): AsyncGenerator<{ data: number }> {
  for (let i = 1; i <= n; i++) yield { data: i };
  if (failAfter !== undefined) throw failAfter;
}

describe('WorkerPool', () => {
  test('runs a job and returns its result; the thread is reused', () =>
    withPool(1, async (pool) => {
      assert.deepEqual(await pool.call('echo', { data: { a: [1, 2] } }), { a: [1, 2] });
      assert.equal(await pool.call('echo', { data: 'again' }), 'again');
      assert.equal(pool.running, 0);
    }));

  test('streams input in and outputs back, in order, with the result at the end', () =>
    withPool(1, async (pool) => {
      const job = pool.stream('sum', { data: null }, numbers(50));
      const sums: unknown[] = [];
      let step = await job.next();
      for (; step.done !== true; step = await job.next()) sums.push(step.value);
      assert.equal(step.value, 50);
      assert.deepEqual(sums, Array.from({ length: 50 }, (_, i) => ((i + 1) * (i + 2)) / 2));
    }));

  test('an error thrown in the worker rejects with the same code, message and details', () =>
    withPool(1, async (pool) => {
      const error = await pool.call('fail', { data: null }).then(
        () => assert.fail('resolved'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof DebstashError);
      assert.equal(error.code, 'DEBSTASH_E_DEB822_SYNTAX');
      assert.equal(error.message, 'x: line 3: continuation line before any field');
      assert.deepEqual(error.details, { line: 3, source: 'x' });
      // The thread is still good for the next job.
      assert.equal(await pool.call('echo', { data: 1 }), 1);
    }));

  test("the input's own error is what the caller sees, after the outputs made before it", () =>
    withPool(1, async (pool) => {
      const broken = new Error('disk on fire');
      const seen: unknown[] = [];
      await assert.rejects(async () => {
        for await (const s of pool.stream('sum', { data: null }, numbers(3, broken))) seen.push(s);
      }, broken);
      assert.deepEqual(seen, [1, 3, 6]);
    }));

  test('aborting terminates a busy worker; the next job gets a fresh one', () =>
    withPool(1, async (pool) => {
      const controller = new AbortController();
      const reason = new Error('cancelled by test');
      const started = Date.now();
      await assert.rejects(async () => {
        for await (const out of pool.stream('spin', { data: null }, undefined, controller.signal)) {
          assert.equal(out, 'started');
          controller.abort(reason);
        }
      }, reason);
      assert.ok(Date.now() - started < 5000);
      assert.equal(pool.running, 0);
      assert.equal(await pool.call('echo', { data: 'fresh' }), 'fresh');
    }));

  test('a job aborted while it waits for a thread never starts', () =>
    withPool(1, async (pool) => {
      const controller = new AbortController();
      const first = pool.call('hold', { data: new SharedArrayBuffer(8) });
      const second = pool.call('echo', { data: 1 }, controller.signal);
      controller.abort(new Error('not needed'));
      await assert.rejects(second, /not needed/);
      assert.equal(await first, 1);
    }));

  test('never runs more than its size of jobs at once', () =>
    withPool(2, async (pool) => {
      const shared = new SharedArrayBuffer(8);
      const counters = new Int32Array(shared);
      let mostSeen = 0;
      const jobs = Array.from({ length: 7 }, () =>
        pool.call('hold', { data: shared }).then(() => {
          mostSeen = Math.max(mostSeen, pool.running);
        }),
      );
      await Promise.all(jobs);
      assert.equal(Atomics.load(counters, 1), 2);
      assert.ok(mostSeen <= 2);
      assert.equal(pool.running, 0);
    }));

  test('a worker that dies fails its job with DEBSTASH_E_WORKER_FAILED', () =>
    withPool(1, async (pool) => {
      await assert.rejects(pool.call('exit', { data: null }), (e: unknown) => e instanceof DebstashError && e.code === 'DEBSTASH_E_WORKER_FAILED' && e.details.kind === 'exit');
      assert.equal(await pool.call('echo', { data: 2 }), 2);
    }));

  test('idle threads do not keep the process alive', () => {
    const pool = fileURLToPath(new URL('../../src/concurrency/worker-pool.js', import.meta.url));
    const program = `
      const { WorkerPool } = await import(${JSON.stringify(pool)});
      const p = new WorkerPool(new URL(${JSON.stringify(script.href)}), 2);
      console.log(await p.call('echo', { data: 'done' }));`;
    // A file, not -e: a worker inherits the process's flags, and --input-type would stop it.
    const dir = mkdtempSync(join(tmpdir(), 'debstash-pool-'));
    try {
      writeFileSync(join(dir, 'main.mjs'), program);
      const run = spawnSync(process.execPath, [join(dir, 'main.mjs')], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(run.error, undefined, 'the process did not exit');
      assert.equal(run.status, 0, run.stderr);
      assert.equal(run.stdout.trim(), 'done');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
