/**
 * Go regexp and filepath.Match semantics, on cases where JavaScript differs. The parity test
 * checks the same kinds of cases against aptly; these hold without it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { compileGoGlob } from '../../src/query/go-glob.js';
import { compileGoRegexp } from '../../src/query/go-regexp.js';

function re(pattern: string): RegExp {
  const r = compileGoRegexp(pattern);
  assert.ok(r.ok, `${pattern}: ${r.ok ? '' : r.message}`);
  return r.regexp;
}

function glob(pattern: string): RegExp {
  const r = compileGoGlob(pattern);
  assert.ok(r.ok, `${pattern}: ${r.ok ? '' : r.message}`);
  return r.regexp;
}

describe('Go regexps', () => {
  const cases: ReadonlyArray<readonly [string, string, boolean]> = [
    // `.` excludes only \n
    ['x.y', 'x\u2028y', true],
    ['x.y', 'x\ry', true],
    ['x.y', 'x\ny', false],
    ['(?s)x.y', 'x\ny', true],
    ['^.x$', '𝔸x', true],
    // \s is ASCII, without \v
    ['\\s', 'x\u00a0y', false],
    ['\\s', 'x\u000by', false],
    ['\\s', 'x\ty', true],
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
    // literals JavaScript would reject or read otherwise
    ['a{,2}', 'a{,2}', true],
    ['{2}x'.slice(3), 'x', true],
    ['x]y', 'x]y', true],
    ['x}y', 'x}y', true],
    ['a{01}', 'a{01}', true],
    ['\\Q*star\\E', '*star', true],
    ['\\x{65e5}', '日', true],
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
    // case folding, only as a leading (?i)
    ['(?i)abc', 'ABC', true],
    ['(?i)^k$', '\u212a', true],
    ['(?i)^s$', 'ſ', true],
    ['(?i)[^a-z]', 'A', false],
    // repetition
    ['^a{1,2}$', 'aaa', false],
    ['(?U)^a+', 'aa', true],
    ['^*a', 'a', true],
    ['(a*)*b', 'aab', true],
    ['(?P<x>a)b', 'ab', true],
    ['(?)a', 'a', true],
  ];
  for (const [pattern, input, expected] of cases) {
    test(`${JSON.stringify(pattern)} on ${JSON.stringify(input)} → ${expected}`, () => {
      assert.equal(re(pattern).test(input), expected);
    });
  }

  const refused: ReadonlyArray<readonly [string, RegExp]> = [
    ['(', /missing closing \)/],
    [')', /unexpected \)/],
    ['[a', /missing closing \]/],
    ['[z-a]', /invalid character class range/],
    ['[[:foo:]]', /invalid character class range/],
    ['\\p{Nope}', /invalid character class range/],
    ['a**', /invalid nested repetition operator/],
    ['a*?+', /invalid nested repetition operator/],
    ['*a', /missing argument to repetition operator/],
    ['x{1001}', /invalid repeat count/],
    ['x{2,1}', /invalid repeat count/],
    ['(x{100}){11}', /invalid repeat count/],
    ['\\1', /invalid escape sequence/],
    ['\\8', /invalid escape sequence/],
    ['\\C', /invalid escape sequence/],
    ['\\é', /invalid escape sequence/],
    ['\\x{110000}', /invalid escape sequence/],
    ['\\xZ1', /invalid escape sequence/],
    ['a\\', /trailing backslash/],
    ['(?=x)', /invalid or unsupported Perl syntax/],
    ['(?<!x)', /invalid or unsupported Perl syntax/],
    ['(?P=x)', /invalid or unsupported Perl syntax/],
    ['(?P<a>x)(?P<a>y)', /duplicate capture group name/],
    ['(?P<>x)', /invalid named capture/],
    ['(?-)', /invalid or unsupported Perl syntax/],
    ['a(?i)b', /\(\?i\) is supported only as a leading/],
    ['(?i:a)', /\(\?i\) is supported only as a leading/],
  ];
  for (const [pattern, message] of refused) {
    test(`refuses ${JSON.stringify(pattern)}`, () => {
      const r = compileGoRegexp(pattern);
      assert.equal(r.ok, false);
      assert.match(r.ok ? '' : r.message, message);
    });
  }

  test('nesting is bounded', () => {
    const r = compileGoRegexp(`${'('.repeat(1200)}${')'.repeat(1200)}`);
    assert.equal(r.ok, false);
  });
});

describe('Go globs', () => {
  const cases: ReadonlyArray<readonly [string, string, boolean]> = [
    ['*', 'contrib/net', false],
    ['*/*', 'contrib/net', true],
    ['?', '/', false],
    ['[/]', '/', true],
    ['[^a]', '/', true],
    ['?x', '𝔸x', true],
    ['a?c', 'a\nc', true],
    ['[!a]*', '!x', true],
    ['[!a]*', 'b', false],
    ['[^a]*', 'b', true],
    ['\\*star', '*star', true],
    ['\\[x\\]', '[x]', true],
    ['[[]x]', '[x]', true],
    ['*[z-a]*', 'anything', false],
    ['[\\]]*', ']x', true],
    ['[\\-]', '-', true],
    ['*é', 'café', true],
    ['', '', true],
    ['', 'a', false],
  ];
  for (const [pattern, input, expected] of cases) {
    test(`${JSON.stringify(pattern)} on ${JSON.stringify(input)} → ${expected}`, () => {
      assert.equal(glob(pattern).test(input), expected);
    });
  }

  for (const bad of ['[', '[a', '[]', '[]a]', '[-a]', '[a-]', '[^', 'a\\', '[a\\']) {
    test(`refuses ${JSON.stringify(bad)}`, () => assert.equal(compileGoGlob(bad).ok, false));
  }
});
