import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { compareVersions } from '../../src/deb/version.js';
import { compareAptlyVersions } from '../../src/query/aptly-compare.js';

const seed = Number(process.env.FUZZ_SEED ?? 20240613);
const runs = Number(process.env.FUZZ_RUNS ?? 3000);
const params = (numRuns = runs): fc.Parameters<unknown> => ({ seed, numRuns, interruptAfterTimeLimit: 2500 });

describe("aptly's version ordering", () => {
  const cases: ReadonlyArray<readonly [string, string, number]> = [
    ['1.0', '1.0', 0],
    ['1.0', '1.00', 0],
    ['alpha0', 'alpha', 0],
    ['alpha00', 'alpha', 0],
    ['alpha.0', 'alpha', 1],
    ['1.0~rc1', '1.0', -1],
    ['1.0~~', '1.0~', -1],
    ['1:0.1', '2.0', 1],
    ['1.0-2-3', '1.0-3', 1],
    ['1200', '100', 1],
    ['debian-installer', 'doc', -1],
    ['', 'a', -1],
    ['required', 'optional', 1],
    ['99999999999999999999', '99999999999999999998', 0],
    ['9223372036854775807', '9223372036854775806', 1],
    // Each UTF-8 byte is classified as the Latin-1 character of that code: 0xC3 and 0xE6 are
    // letters (Ã, æ), so é and 日 sort before ".", while 0xD7 (×) of Hebrew א does not.
    ['aé', 'a.', -1],
    ['a日', 'a.', -1],
    ['aא', 'a.', 1],
  ];
  for (const [a, b, expected] of cases) {
    test(`${JSON.stringify(a)} vs ${JSON.stringify(b)} → ${expected}`, () => {
      assert.equal(compareAptlyVersions(a, b), expected);
      assert.equal(compareAptlyVersions(b, a), -expected || 0);
    });
  }

  test('agrees with dpkg on valid versions with ordinary numbers', () => {
    const part = fc.string({ unit: fc.constantFrom(...'0123456789.+~abzAZ'), minLength: 1, maxLength: 6 }).filter((s) => /^[0-9]/.test(s));
    const version = fc
      .tuple(fc.option(fc.nat({ max: 3 })), part, fc.option(fc.string({ unit: fc.constantFrom(...'0123456789.+~a'), minLength: 1, maxLength: 5 })))
      .map(([epoch, upstream, revision]) => `${epoch === null ? '' : `${epoch}:`}${upstream}${revision === null ? '' : `-${revision}`}`);
    fc.assert(
      fc.property(version, version, (a, b) => {
        assert.equal(compareAptlyVersions(a, b), compareVersions(a, b), `${a} vs ${b}`);
      }),
      params(),
    );
  });

  test('is antisymmetric on any text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), (a, b) => {
        assert.equal(compareAptlyVersions(a, b), -compareAptlyVersions(b, a) || 0);
      }),
      params(),
    );
  });
});
