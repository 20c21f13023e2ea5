import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { DebstashError } from '../../src/errors/debstash-error.js';
import { compareFragment, compareVersions, parseVersion } from '../../src/deb/version.js';

type Rel = '<' | '=' | '>';

const sign: Record<Rel, number> = { '<': -1, '=': 0, '>': 1 };

// Each row is checked in both directions, so it also pins antisymmetry. Expected results are
// dpkg's (dpkg --compare-versions); version-dpkg.test.ts checks against libdpkg in bulk.
const ORDER: readonly (readonly [string, Rel, string, string])[] = [
  ['1.0', '=', '1.0', 'identical'],
  ['1.0', '<', '1.1', 'plain numbers'],
  ['1.10', '>', '1.9', 'digit runs compare as numbers, not text'],
  ['10', '>', '9', 'digit runs compare as numbers, not text'],
  ['1.01', '=', '1.1', 'leading zeros are ignored'],
  ['1.000', '=', '1.0', 'leading zeros are ignored'],
  ['1.0', '=', '1.00', 'zero equals a run of zeros'],
  ['0:1.0', '=', '1.0', 'a missing epoch is 0'],
  ['00:1.0', '=', '1.0', 'epoch with leading zeros'],
  ['1:0.1', '>', '9.9', 'the epoch wins over everything'],
  ['2:1.0', '>', '1:9.0', 'epochs compare numerically'],
  ['10:1', '>', '9:1', 'epochs compare numerically, not as text'],
  ['2147483647:1', '>', '2147483646:9', 'largest epoch dpkg accepts'],
  ['1.0', '=', '1.0-0', 'empty revision equals -0'],
  ['1.0-0', '=', '1.0-00', 'revisions compare like upstream parts'],
  ['1.0', '<', '1.0-1', 'any positive revision is newer than none'],
  ['1.0-1', '<', '1.0-1.1', 'revision with more parts'],
  ['1.0-1', '<', '1.0-1ubuntu1', 'letters after a revision'],
  ['1.0-1', '<', '1.0-1+b1', 'binNMU'],
  ['1.0-1~bpo12+1', '<', '1.0-1', 'backport sorts before the release'],
  ['1.0-1', '<', '1.0-2~', '~ in the revision'],
  ['1.0~rc1', '<', '1.0', 'tilde sorts before the end of the string'],
  ['1.0~rc1', '<', '1.0~rc2', 'tilde then normal order'],
  ['1.0~rc1-1', '<', '1.0-1', 'tilde in upstream with a revision'],
  ['1.0~~', '<', '1.0~~a', 'Policy example: ~~ < ~~a'],
  ['1.0~~a', '<', '1.0~', 'Policy example: ~~a < ~'],
  ['1.0~', '<', '1.0', 'Policy example: ~ < (end)'],
  ['1.0', '<', '1.0a', 'Policy example: (end) < a'],
  ['1.0~', '>', '1.0~~', 'fewer tildes is newer'],
  ['1.0a', '<', '1.0+', 'letters sort before non-letters'],
  ['1.0a', '<', '1.0.', 'letters sort before non-letters'],
  ['1.0z', '<', '1.0+', 'even the last letter'],
  ['1.0+', '<', '1.0.', 'non-letters by ASCII: + (43) < . (46)'],
  ['1.0+', '>', '1.0', 'a non-letter is newer than the end'],
  ['1.0.', '>', '1.0', 'a trailing dot is newer than the end'],
  ['1.0A', '<', '1.0a', 'uppercase before lowercase (ASCII)'],
  ['1.0a', '<', '1.0b', 'letters by ASCII'],
  ['1.0a1', '<', '1.0b', 'letters are compared before the digits that follow'],
  ['1.0+dfsg', '<', '1.0+dfsg1', 'suffix digits'],
  ['1.0+dfsg-1', '>', '1.0-1', 'repack suffix is newer'],
  ['1.0-2-3', '>', '1.0-2', 'the last hyphen splits the revision: upstream 1.0-2 > 1.0'],
  ['1:2:3', '>', '1:2', 'colons are allowed in upstream when there is an epoch'],
  ['a', '<', 'b', 'non-strict: letters-only versions still compare'],
  ['1.18446744073709551616', '>', '1.18446744073709551615', 'numbers beyond 2^64'],
  ['1.9007199254740993', '>', '1.9007199254740992', 'numbers beyond 2^53 (equal as doubles)'],
  ['123456789012345678901234567890', '>', '123456789012345678901234567889', 'very long number'],
  ['1.0000000000000000000000000001', '=', '1.1', 'long runs of leading zeros'],
  ['99999999999999999999', '<', '100000000000000000000', 'longer digit run is bigger'],
  [' 1.0', '=', '1.0\t', 'leading and trailing spaces and tabs are ignored'],
];

const INVALID: readonly (readonly [string, RegExp, number])[] = [
  ['', /empty/, 1],
  ['   ', /empty/, 4],
  ['1.0 1', /blanks/, 4],
  ['1.0\t1', /blanks/, 4],
  ['1:', /nothing after the colon/, 2],
  [':1', /epoch .*empty/, 1],
  ['a:1', /epoch is not a number/, 1],
  ['-1:1', /epoch is not a number/, 1],
  ['+1:1', /epoch is not a number/, 1],
  ['1.0-1:1', /epoch is not a number/, 1],
  ['2147483648:1', /epoch is too big/, 1],
  ['99999999999999999999:1', /epoch is too big/, 1],
  ['1.0-', /revision .* empty/, 4],
  ['-1', /upstream part is empty/, 1],
  ['1:-1', /upstream part is empty/, 3],
  ['1.0\n', /not printable ASCII/, 4],
  ['1.0\u00e9', /not printable ASCII/, 4],
  ['\u00a01.0', /not printable ASCII/, 1],
];

describe('compareVersions', () => {
  for (const [a, rel, b, why] of ORDER) {
    test(`${JSON.stringify(a)} ${rel} ${JSON.stringify(b)}: ${why}`, () => {
      assert.equal(compareVersions(a, b), sign[rel]);
      assert.equal(compareVersions(b, a), 0 - sign[rel]);
    });
  }

  test('sorting gives the Policy order', () => {
    const sorted = ['1.0a', '1.0', '1.0~', '1.0~~a', '1.0~~', '1.0+', '1.0-1', '0.9', '1:0.1'].sort(compareVersions);
    assert.deepEqual(sorted, ['0.9', '1.0~~', '1.0~~a', '1.0~', '1.0', '1.0-1', '1.0a', '1.0+', '1:0.1']);
  });

  test('returns exactly -1, 0 or 1', () => {
    assert.equal(compareVersions('1.0a', '1.0z'), -1);
    assert.equal(compareVersions('9', '1'), 1);
  });

  test('invalid versions throw even when both strings are equal', () => {
    assert.throws(() => compareVersions('', ''), { code: 'DEBSTASH_E_VERSION_INVALID' });
    assert.throws(() => compareVersions('1:', '1:'), { code: 'DEBSTASH_E_VERSION_INVALID' });
    assert.throws(() => compareVersions('1.0', '1.0-'), { code: 'DEBSTASH_E_VERSION_INVALID' });
  });
});

describe('parseVersion', () => {
  const PARTS: readonly (readonly [string, number, string, string])[] = [
    ['1.0', 0, '1.0', ''],
    ['1:2.0-3', 1, '2.0', '3'],
    ['2.0-1-2', 0, '2.0-1', '2'],
    ['1:2:3-4', 1, '2:3', '4'],
    ['0:1', 0, '1', ''],
    ['007:1', 7, '1', ''],
    ['  1.0-1\t', 0, '1.0', '1'],
    ['1.0~rc1+dfsg-1~bpo12+1', 0, '1.0~rc1+dfsg', '1~bpo12+1'],
  ];
  for (const [text, epoch, upstream, revision] of PARTS) {
    test(`splits ${JSON.stringify(text)}`, () => {
      assert.deepEqual(parseVersion(text), { epoch, upstream, revision });
      assert.deepEqual(parseVersion(text, true), { epoch, upstream, revision });
    });
  }

  for (const [text, message, column] of INVALID) {
    test(`rejects ${JSON.stringify(text)}`, () => {
      for (const strict of [false, true]) {
        assert.throws(
          () => parseVersion(text, strict),
          (e: unknown) => {
            assert.ok(e instanceof DebstashError);
            assert.equal(e.code, 'DEBSTASH_E_VERSION_INVALID');
            assert.match(e.message, message);
            assert.equal(e.details.column, column);
            assert.equal(e.details.text, text);
            assert.match(e.message, new RegExp(`column ${column}\\b`));
            return true;
          },
        );
      }
    });
  }

  // dpkg only warns about these (and dpkg --compare-versions still compares them), but
  // dpkg-deb and relation fields refuse them: strict mode is for those.
  const WARN_ONLY: readonly (readonly [string, RegExp, number])[] = [
    ['a1', /does not start with a digit/, 1],
    ['1:a1', /does not start with a digit/, 3],
    ['~1', /does not start with a digit/, 1],
    ['1.0_1', /"_" is not allowed in the upstream/, 4],
    ['1.0@', /"@" is not allowed in the upstream/, 4],
    ['1.0-1_1', /"_" is not allowed in the revision/, 6],
  ];
  for (const [text, message, column] of WARN_ONLY) {
    test(`strict mode rejects ${JSON.stringify(text)}`, () => {
      assert.doesNotThrow(() => parseVersion(text));
      assert.throws(
        () => parseVersion(text, true),
        (e: unknown) => e instanceof DebstashError && message.test(e.message) && e.details.column === column,
      );
    });
  }

  test('error messages of huge inputs are bounded', () => {
    const text = `${'1'.repeat(5000)} x`;
    assert.throws(
      () => parseVersion(text),
      (e: unknown) => e instanceof DebstashError && e.message.length < 400 && e.details.column === 5001,
    );
  });
});

describe('compareFragment', () => {
  test('orders like dpkg verrevcmp', () => {
    assert.equal(compareFragment('', ''), 0);
    assert.ok(compareFragment('~', '') < 0);
    assert.ok(compareFragment('', 'a') < 0);
    assert.ok(compareFragment('a', '+') < 0);
    assert.ok(compareFragment('1', '') > 0);
    assert.equal(compareFragment('0', ''), 0);
    assert.equal(compareFragment('000', '0'), 0);
    assert.ok(compareFragment('2', '10') < 0);
    assert.ok(compareFragment('1a', '1') > 0);
  });
});
