import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RateLimiter, rateLimitFromEnv } from '../../../src/server/api/rate-limiter.js';
import { isCode } from '../../helpers/coded-error.js';

describe('RateLimiter', () => {
  test('a burst, then one request per 1/rate seconds; 429 with the seconds to wait', () => {
    let now = 0;
    const limiter = new RateLimiter({ perSecond: 2, burst: 3 }, () => now);
    for (let i = 0; i < 3; i++) limiter.take('addr:a', 'write');
    assert.throws(() => limiter.take('addr:a', 'write'), (e: unknown) => isCode('DEBSTASH_E_RATE_LIMITED', /addr a; retry in 1 s/)(e) && (e as { details: { retryAfter: number } }).details.retryAfter === 1);
    limiter.take('addr:b', 'write'); // another key has its own bucket
    now = 500;
    limiter.take('addr:a', 'write');
    assert.throws(() => limiter.take('addr:a', 'write'), isCode('DEBSTASH_E_RATE_LIMITED'));
    now = 10_000;
    for (let i = 0; i < 3; i++) limiter.take('addr:a', 'write'); // refilled to the burst, not beyond
    assert.throws(() => limiter.take('addr:a', 'write'), isCode('DEBSTASH_E_RATE_LIMITED'));
  });

  test('a slow rate asks for a longer wait; 0 is no limit', () => {
    const slow = new RateLimiter({ perSecond: 0.1, burst: 1 }, () => 0);
    slow.take('k', 'search');
    assert.throws(() => slow.take('k', 'search'), isCode('DEBSTASH_E_RATE_LIMITED', /retry in 10 s/));
    const off = new RateLimiter({ perSecond: 0, burst: 0 });
    for (let i = 0; i < 1000; i++) off.take('k', 'search');
  });

  test('memory stays bounded however many addresses come', () => {
    const limiter = new RateLimiter({ perSecond: 1, burst: 1 }, () => 0);
    for (let i = 0; i < 50_000; i++) limiter.take(`addr:${i}`, 'write');
    // The first keys were forgotten: a forgotten key starts with a full bucket again.
    limiter.take('addr:0', 'write');
    assert.throws(() => limiter.take('addr:49999', 'write'), isCode('DEBSTASH_E_RATE_LIMITED'));
  });
});

describe('rateLimitFromEnv', () => {
  const fallback = { perSecond: 20, burst: 200 };
  test('RATE, RATE/BURST, 0, unset', () => {
    assert.deepEqual(rateLimitFromEnv('X', fallback, {}), fallback);
    assert.deepEqual(rateLimitFromEnv('X', fallback, { X: '5' }), { perSecond: 5, burst: 50 });
    assert.deepEqual(rateLimitFromEnv('X', fallback, { X: ' 2.5 / 7 ' }), { perSecond: 2.5, burst: 7 });
    assert.equal(rateLimitFromEnv('X', fallback, { X: '0' }).perSecond, 0);
  });
  test('anything else is a usage error naming the variable', () => {
    for (const bad of ['fast', '-1', '1/2/3', '1e3']) assert.throws(() => rateLimitFromEnv('DEBSTASH_RATE_WRITE', fallback, { DEBSTASH_RATE_WRITE: bad }), isCode('DEBSTASH_E_USAGE', /DEBSTASH_RATE_WRITE/));
  });
});
