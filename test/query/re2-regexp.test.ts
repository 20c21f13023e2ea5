/**
 * `~` regexps through the re2js adapter: Go's meaning where JavaScript's differs, Go's refusals,
 * and matching in linear time. The parity test checks the same kinds of cases against aptly;
 * these hold without it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { Paragraph } from '../../src/deb/paragraph.js';
import { compileQuery } from '../../src/query/compile-query.js';
import { parseQuery } from '../../src/query/parse-query.js';
import { queryTargetFromParagraph } from '../../src/query/query-target.js';
import { compileRegexp } from '../../src/query/re2-regexp.js';

function re(pattern: string): (value: string) => boolean {
  const r = compileRegexp(pattern);
  assert.ok(r.ok, `${pattern}: ${r.ok ? '' : r.message}`);
  return r.test;
}

/** Runs `fn` and returns how long it took, in milliseconds. */
function timed(fn: () => void): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

describe('Go regexps', () => {
  const cases: ReadonlyArray<readonly [string, string, boolean]> = [
    // `.` excludes only \n
    ['x.y', 'x\u2028y', true],
    ['x.y', 'x\ry', true],
    ['x.y', 'x\ny', false],
    ['(?s)x.y', 'x\ny', true],
    ['^.x$', '𝔸x', true],
    // Perl classes are ASCII; \s has no \v
    ['\\s', 'x\u00a0y', false],
    ['\\s', 'x\u000by', false],
    ['\\s', 'x\ty', true],
    ['\\d', '٣', false],
    ['\\w', 'é', false],
    ['\\bx', 'éx', true],
    ['[[:space:]]', 'x\u000by', true],
    ['^\\S+$', 'x\u00a0y', true],
    // ^ and $ see only \n under (?m), and $ alone is the very end
    ['omega$', 'omega\n', false],
    ['(?m)omega$', 'omega\n', true],
    ['(?m)omega$', 'omega\r\n', false],
    ['(?m)^b', 'a\nb', true],
    ['(?m)^b', 'a\u2028b', false],
    ['\\Ax', 'yx', false],
    ['x\\z', 'x\n', false],
    ['x\\z', 'x', true],
    // literals JavaScript would reject or read otherwise
    ['a{,2}', 'a{,2}', true],
    ['x]y', 'x]y', true],
    ['x}y', 'x}y', true],
    ['a{01}', 'a{01}', true],
    ['\\Q*star\\E', '*star', true],
    ['\\Q(a+)+', 'x(a+)+', true],
    ['\\x{65e5}', '日', true],
    ['^\\x{1F600}$', '😀', true],
    ['^\\101', 'A', true],
    ['^\\0', '\u0000', true],
    ['\\$$', 'dollar$', true],
    ['\\-\\"\\ ', '-" ', true],
    // classes
    ['[]x]', ']', true],
    ['^[^]x]', 'y', true],
    ['^[^]x]', ']', false],
    ['[a-]c', '-c', true],
    ['^[[:alpha:]]+$', 'abc', true],
    ['^[[:alpha:]]+$', 'äbc', false],
    ['[[:^alnum:]]', 'a_b', true],
    ['^\\pL+$', 'ümlaut', true],
    ['\\p{Greek}', 'Ωmega', true],
    ['\\p{Han}', '日本語', true],
    ['[\\PL]x', '1x', true],
    ['[^\\s]y', 'x\u00a0y', true],
    ['[\\S\\d]', ' ', false],
    ['[^\\S]', ' ', true],
    ['\\pC', '\u0000', true],
    ['^[😀-😂]$', '😁', true],
    // case folding, with Go's simple folds, anywhere and scoped
    ['(?i)abc', 'ABC', true],
    ['(?i)^k$', '\u212a', true],
    ['(?i)^s$', 'ſ', true],
    ['(?i)[^a-z]', 'A', false],
    ['^a(?i)LPHA$', 'aLpHa', true],
    ['^a(?i)LPHA$', 'ALPHA', false],
    ['^(?i:a)b$', 'Ab', true],
    ['^(?i:a)b$', 'AB', false],
    ['^(?i)a(?-i)b$', 'Ab', true],
    ['^(?i)a(?-i)b$', 'AB', false],
    // repetition: greedy, non-greedy, ungreedy mode
    ['^a{1,2}$', 'aaa', false],
    ['^a+?b', 'aab', true],
    ['(?U)^a+', 'aa', true],
    ['^*a', 'a', true],
    ['(a*)*b', 'aab', true],
    ['(?P<x>a)b', 'ab', true],
    ['(?<x>a)b', 'ab', true],
    ['(?)a', 'a', true],
  ];
  for (const [pattern, input, expected] of cases) {
    test(`${JSON.stringify(pattern)} on ${JSON.stringify(input)} → ${expected}`, () => {
      assert.equal(re(pattern)(input), expected);
    });
  }

  const refused: ReadonlyArray<readonly [string, string]> = [
    ['(', 'missing closing ): `(`'],
    [')', 'unexpected ): `)`'],
    ['[a', 'missing closing ]: `[a`'],
    ['[z-a]', 'invalid character class range: `z-a`'],
    ['[[:foo:]]', 'invalid character class range: `[:foo:]`'],
    ['\\p{Nope}', 'invalid character class range: `\\p{Nope}`'],
    ['a**', 'invalid nested repetition operator: `**`'],
    ['a*?+', 'invalid nested repetition operator: `*?+`'],
    ['a++', 'invalid nested repetition operator: `++`'],
    ['*a', 'missing argument to repetition operator: `*`'],
    ['x{1001}', 'invalid repeat count: `{1001}`'],
    ['x{2,1}', 'invalid repeat count: `{2,1}`'],
    ['(x{100}){11}', 'invalid repeat count: `{11}`'],
    ['\\1', 'invalid escape sequence: `\\1`'],
    ['(a)\\1', 'invalid escape sequence: `\\1`'],
    ['\\8', 'invalid escape sequence: `\\8`'],
    ['\\C', 'invalid escape sequence: `\\C`'],
    ['\\é', 'invalid escape sequence: `\\é`'],
    ['\\u0041', 'invalid escape sequence: `\\u`'],
    ['\\Z', 'invalid escape sequence: `\\Z`'],
    ['\\x{110000}', 'invalid escape sequence: `\\x{110000`'],
    ['\\xZ1', 'invalid escape sequence: `\\xZ1`'],
    ['a\\', 'trailing backslash at end of expression'],
    ['(?=x)', 'invalid or unsupported Perl syntax: `(?=`'],
    ['(?!x)', 'invalid or unsupported Perl syntax: `(?!`'],
    ['(?<=x)', 'invalid named capture: `(?<=x)`'],
    ['(?<!x)', 'invalid named capture: `(?<!x)`'],
    ['(?P=x)', 'invalid or unsupported Perl syntax: `(?P`'],
    ['(?P<a>x)(?P<a>y)', 'duplicate capture group name: `a`'],
    ['(?P<>x)', 'invalid named capture: `(?P<>`'],
    ['(?-)', 'invalid or unsupported Perl syntax: `(?-)`'],
    ['(?x)a', 'invalid or unsupported Perl syntax: `(?x`'],
    [`${'('.repeat(1200)}${')'.repeat(1200)}`, 'expression nests too deeply'],
  ];
  for (const [pattern, message] of refused) {
    test(`refuses ${JSON.stringify(pattern.slice(0, 20))}`, () => {
      const r = compileRegexp(pattern);
      assert.deepEqual(r, { ok: false, message });
    });
  }
});

describe('Go regexps run in linear time', () => {
  // A backtracking engine needs from seconds to ages on each of these; RE2 needs a scan.
  const pathological: ReadonlyArray<readonly [string, string, boolean]> = [
    ['^(a+)+$', `${'a'.repeat(5000)}b`, false],
    ['(x+x+)+y', 'x'.repeat(5000), false],
    ['(a|aa)+$', `${'a'.repeat(5000)}b`, false],
    ['(.*a){20}$', `${'a'.repeat(5000)}b`, false],
    ['(.*a){20}', 'a'.repeat(5000), true],
    ['^(\\w+\\s?)*$', `${'word '.repeat(1000)}!`, false],
    ['^(([a-z])+.)+[A-Z]([a-z])+$', `${'a'.repeat(5000)}!`, false],
  ];
  for (const [pattern, input, expected] of pathological) {
    test(`${JSON.stringify(pattern)} on ${input.length} characters in < 200 ms`, () => {
      const match = re(pattern);
      let got = !expected;
      const ms = timed(() => (got = match(input)));
      assert.equal(got, expected);
      assert.ok(ms < 200, `${ms.toFixed(1)} ms`);
    });
  }

  test('nested quantifiers over 60,000 package names, through a compiled query', () => {
    // Names that almost match: each fails only at its last character, the worst case for
    // backtracking (2^30 ways to split the 30 letters before it).
    const targets = Array.from({ length: 60_000 }, (_, i) =>
      queryTargetFromParagraph(
        Paragraph.from({ Package: `lib${'abcdefghij'.repeat(3)}${i % 2 === 0 ? '+' : String(i)}`, Version: '1.0', Architecture: 'amd64' }),
      ),
    );
    const keep = compileQuery(parseQuery('Name (~ "^([a-z]+|[a-z0-9]+)+$")'));
    let kept = 0;
    const ms = timed(() => {
      for (const t of targets) if (keep(t)) kept++;
    });
    assert.equal(kept, 30_000);
    assert.ok(ms < 3000, `${ms.toFixed(0)} ms for 60,000 names`);
  });
});
