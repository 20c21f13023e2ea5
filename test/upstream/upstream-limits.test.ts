import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DebstashError } from '../../src/errors/debstash-error.js';
import { guardedDecompress } from '../../src/upstream/index-size-guard.js';
import { TransferRate } from '../../src/upstream/transfer-rate.js';
import { LIMIT_SPECS, limitExceeded, upstreamLimits } from '../../src/upstream/upstream-limits.js';
import { rejectsWith } from '../helpers/coded-error.js';

describe('upstream limits', () => {
  test('defaults when nothing is set', () => {
    const l = upstreamLimits({});
    assert.equal(l.releaseBytes, 16 * 1024 * 1024);
    assert.equal(l.releaseFiles, 100_000);
    assert.equal(l.indexBytes, 1024 * 1024 * 1024);
    assert.equal(l.indexRatio, 50);
    assert.equal(l.ratioAfterBytes, 64 * 1024 * 1024);
    assert.equal(l.indexStanzas, 500_000);
    assert.equal(l.stanzaBytes, 1024 * 1024);
    assert.equal(l.minRateBytesPerSecond, 1024);
    assert.equal(l.rateWindowSeconds, 30);
    assert.equal(l.requestSeconds, 3600);
    assert.equal(l.redirects, 5);
    assert.equal(l.httpsToHttp, 0);
  });

  test('each variable sets its limit; empty means the default', () => {
    assert.equal(upstreamLimits({ DEBSTASH_LIMIT_REDIRECTS: '2' }).redirects, 2);
    assert.equal(upstreamLimits({ DEBSTASH_LIMIT_MIN_RATE: ' 0 ' }).minRateBytesPerSecond, 0);
    assert.equal(upstreamLimits({ DEBSTASH_LIMIT_INDEX_RATIO: '' }).indexRatio, 50);
    for (const spec of Object.values(LIMIT_SPECS)) assert.match(spec.env, /^DEBSTASH_LIMIT_[A-Z_]+$/);
  });

  test('a value that is not a whole number ≥ 0 is refused, naming the variable', () => {
    for (const bad of ['-1', '1.5', 'lots', '1e400']) {
      assert.throws(() => upstreamLimits({ DEBSTASH_LIMIT_RELEASE_BYTES: bad }), (e: unknown) => {
        assert.ok(e instanceof DebstashError);
        assert.equal(e.code, 'DEBSTASH_E_CONFIG_ENV');
        assert.match(e.message, /DEBSTASH_LIMIT_RELEASE_BYTES/);
        return true;
      });
    }
  });

  test('a violation names the limit, the value and the variable', () => {
    const e = limitExceeded('indexStanzas', upstreamLimits({}), 'x/Packages: the stanzas', 'more than 500000');
    assert.equal(e.code, 'DEBSTASH_E_UPSTREAM_LIMIT');
    assert.equal(e.exitCode, 1);
    assert.equal(e.httpStatus, 502);
    assert.match(e.message, /indexStanzas = 500000/);
    assert.match(e.message, /DEBSTASH_LIMIT_INDEX_STANZAS/);
    assert.equal(e.details.env, 'DEBSTASH_LIMIT_INDEX_STANZAS');
  });
});

describe('TransferRate', () => {
  test('nothing is judged before a whole window', () => {
    const r = new TransferRate(1024, 30, 0);
    assert.equal(r.add(1, 29_000), undefined);
  });

  test('too slow over the window', () => {
    const r = new TransferRate(1024, 30, 0);
    let slow: number | undefined;
    for (let t = 1000; t <= 31_000 && slow === undefined; t += 1000) slow = r.add(1, t);
    assert.ok(slow !== undefined && slow < 2, String(slow));
  });

  test('fast enough over the window, even with a pause within it', () => {
    const r = new TransferRate(1024, 30, 0);
    for (let t = 1000; t <= 20_000; t += 1000) assert.equal(r.add(4096, t), undefined);
    assert.equal(r.add(4096, 35_000), undefined);
  });

  test('the window slides: a fast start does not excuse a slow end', () => {
    const r = new TransferRate(1024, 10, 0);
    assert.equal(r.add(10_000_000, 1000), undefined);
    let slow: number | undefined;
    for (let t = 2000; t <= 30_000 && slow === undefined; t += 1000) slow = r.add(10, t);
    assert.ok(slow !== undefined, 'the slow end was not caught');
  });

  test('0 turns it off', () => {
    const r = new TransferRate(0, 30, 0);
    assert.equal(r.add(0, 100_000), undefined);
  });
});

describe('guardedDecompress', () => {
  const limits = { ...upstreamLimits({}), indexBytes: 1000, ratioAfterBytes: 100, indexRatio: 10 };
  // "Decompression" that expands each byte to `factor` bytes.
  const expand = (factor: number) =>
    async function* (bytes: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array, void, undefined> {
      for await (const b of bytes) yield new Uint8Array(b.byteLength * factor);
    };
  const pieces = async function* (n: number, size: number): AsyncGenerator<Uint8Array, void, undefined> {
    for (let i = 0; i < n; i++) yield new Uint8Array(size);
  };
  const drain = async (it: AsyncIterable<Uint8Array>): Promise<number> => {
    let n = 0;
    for await (const b of it) n += b.byteLength;
    return n;
  };

  test('within the limits everything passes', async () => {
    assert.equal(await drain(guardedDecompress(pieces(10, 10), expand(5), limits, 'x')), 500);
  });

  test('a ratio past the limit stops once enough came out', async () => {
    await assert.rejects(drain(guardedDecompress(pieces(100, 1), expand(20), limits, 'x')), rejectsWith('DEBSTASH_E_UPSTREAM_LIMIT', /indexRatio/));
  });

  test('a high ratio below ratioAfterBytes is fine', async () => {
    assert.equal(await drain(guardedDecompress(pieces(4, 1), expand(20), limits, 'x')), 80);
  });

  test('more than indexBytes out stops', async () => {
    await assert.rejects(drain(guardedDecompress(pieces(100, 10), expand(2), limits, 'x')), rejectsWith('DEBSTASH_E_UPSTREAM_LIMIT', /indexBytes/));
  });
});
