import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DebstashError } from '../../src/errors/debstash-error.js';
import { isTransientBackendError, retryUntilReachable } from '../../src/store/wait-for-store.js';

const down = (): DebstashError => new DebstashError('DEBSTASH_E_STORE_UNREACHABLE', 'cannot reach postgres://debstash:***@db/debstash');

test('retries an unreachable store with doubling delays up to the cap, then returns what open gave', async () => {
  const delays: number[] = [];
  let attempts = 0;
  const got = await retryUntilReachable(
    async () => {
      attempts++;
      if (attempts < 4) throw attempts === 2 ? new DebstashError('DEBSTASH_E_STORAGE_UNREACHABLE', 'endpoint down') : down();
      return 'opened';
    },
    down(),
    { signal: new AbortController().signal, onRetry: (_err, ms) => delays.push(ms), firstDelayMs: 1, maxDelayMs: 4 },
  );
  assert.equal(got, 'opened');
  assert.deepEqual(delays, [1, 2, 4, 4]);
});

test('a failure no wait mends (a refused login) ends the retries at once', async () => {
  let attempts = 0;
  const refused = new DebstashError('DEBSTASH_E_STORE_AUTH', 'login refused');
  await assert.rejects(
    retryUntilReachable(
      async () => {
        attempts++;
        throw refused;
      },
      down(),
      { signal: new AbortController().signal, onRetry: () => undefined, firstDelayMs: 1 },
    ),
    refused,
  );
  assert.equal(attempts, 1);
  assert.equal(isTransientBackendError(refused), false);
  assert.equal(isTransientBackendError(new Error('ECONNREFUSED')), false, 'only coded errors are judged');
});

test('stopping (the signal) ends the wait', async () => {
  const stop = new AbortController();
  const waiting = retryUntilReachable(() => Promise.reject(down()), down(), { signal: stop.signal, onRetry: () => undefined, firstDelayMs: 60_000 });
  stop.abort(new Error('stopped by SIGTERM'));
  await assert.rejects(waiting, /stopped by SIGTERM/);
});
